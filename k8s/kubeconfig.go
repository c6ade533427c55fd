package k8s

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/clientcmd"
)

// kubeconfigName names the kubeconfig of o for messages: "kubeconfig
// PATH", "kubeconfig $KUBECONFIG (PATHS)" or "kubeconfig ~/.kube/config".
func kubeconfigName(o ConnectOptions) string {
	if o.Kubeconfig != "" {
		return "kubeconfig " + o.Kubeconfig
	}
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		return "kubeconfig $KUBECONFIG (" + env + ")"
	}
	return "kubeconfig ~/.kube/config"
}

// loadError is client-go's message for a file it could not read or
// decode (it formats the cause with %v, so only the text is left).
var loadError = regexp.MustCompile(`error loading config file "([^"]*)": (.*)`)

// unmarshalError is encoding/json's message for a value of the wrong type:
// the whole file (a Go struct dump follows), or a field.
var unmarshalError = regexp.MustCompile(`cannot unmarshal (\w+) into Go (?:value of type|struct field ([\w.]+) of type)`)

// unreadableFile is clientcmd's message for a file a kubeconfig names
// (certificate-authority, client-cert, client-key) that cannot be read.
var unreadableFile = regexp.MustCompile(`unable to read ([\w-]+) (.*) for (\S+) due to (.*)`)

// kubeconfigError explains a failure to load the configuration in one
// line that names the file and what is wrong with it.
func kubeconfigError(o ConnectOptions, err error) error {
	name := kubeconfigName(o)
	more := ""
	var agg utilerrors.Aggregate
	if errors.As(err, &agg) && len(agg.Errors()) > 1 {
		err, more = agg.Errors()[0], " (and 1 more problem)"
		if n := len(agg.Errors()) - 1; n > 1 {
			more = fmt.Sprintf(" (and %d more problems)", n)
		}
	}
	msg := oneLine(err.Error())
	var pe *fs.PathError
	switch {
	case clientcmd.IsEmptyConfig(err) && o.Kubeconfig == "" && os.Getenv(clientcmd.RecommendedConfigPathEnvVar) == "":
		return errors.New("no kubeconfig: none in ~/.kube/config, not in a pod; set KUBECONFIG or --kubeconfig")
	case clientcmd.IsEmptyConfig(err):
		return fmt.Errorf("%s: empty: no clusters, contexts or users in it", name)
	case loadError.MatchString(msg):
		m := loadError.FindStringSubmatch(msg)
		return fmt.Errorf("kubeconfig %s: %s%s", m[1], loadProblem(m[2]), more)
	case unreadableFile.MatchString(msg):
		m := unreadableFile.FindStringSubmatch(msg)
		field := strings.Replace(m[1], "client-cert", "client-certificate", 1)
		cause := strings.TrimPrefix(m[4], "open "+m[2]+": ")
		cause = strings.Replace(cause, "no such file or directory", "no such file", 1)
		return fmt.Errorf("%s: %s %s (of %s): %s%s", name, field, m[2], m[3], cause, more)
	case errors.As(err, &pe):
		return fmt.Errorf("kubeconfig %s: %s", pe.Path, fileProblem(pe))
	}
	return fmt.Errorf("%s: %w%s", name, oneLineErr{err}, more)
}

// loadProblem says what is wrong with a kubeconfig's content, from
// client-go's message: a file that is not a YAML mapping, a field of the
// wrong type, a YAML syntax error, a folder or an unreadable file.
func loadProblem(msg string) string {
	if m := unmarshalError.FindStringSubmatch(msg); m != nil {
		if m[2] == "" {
			return fmt.Sprintf("not a kubeconfig: the file is %s, not a YAML mapping (apiVersion: v1, kind: Config, clusters, contexts, users)", article(m[1]))
		}
		_, field, _ := strings.Cut(m[2], ".")
		return fmt.Sprintf("not a kubeconfig: %s is %s", field, article(m[1]))
	}
	switch {
	case strings.Contains(msg, "is a directory"):
		return "a folder, not a file"
	case strings.Contains(msg, "permission denied"):
		return "permission denied"
	}
	if _, after, ok := strings.Cut(msg, "yaml: "); ok {
		return "not a kubeconfig: not YAML: " + after
	}
	return "not a kubeconfig: " + msg
}

// article names a JSON type with its article: "a string", "an array".
func article(jsonType string) string {
	switch jsonType {
	case "array":
		return "a list"
	case "object":
		return "a mapping"
	}
	return "a " + jsonType
}

// fileProblem says why a file could not be read, without the Go
// operation ("no such file", not "open /x: no such file or directory").
func fileProblem(pe *fs.PathError) string {
	switch {
	case errors.Is(pe, fs.ErrNotExist):
		return "no such file"
	case errors.Is(pe, fs.ErrPermission):
		return "permission denied"
	}
	return pe.Err.Error()
}
