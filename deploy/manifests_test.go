package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// The files checked, as a repository checkout has them.
var deployFiles = []string{"Dockerfile", "demo.yaml", "rbac.yaml", "rbac-node-metrics.yaml", "loadgen.yaml"}

// strictYAML decodes YAML into client-go's typed objects and fails on
// unknown or duplicated fields, as `kubectl apply --validate=strict`.
var strictYAML = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
	kjson.SerializerOptions{Yaml: true, Strict: true})

// decodeManifest decodes every YAML document of a manifest.
func decodeManifest(name string, data []byte) ([]runtime.Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []runtime.Object
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		if j, err := yaml.YAMLToJSON(doc); err == nil && string(j) == "null" {
			continue // comments only
		}
		obj, gvk, err := strictYAML.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, i, err)
		}
		if m.GetNamespace() != "" {
			return nil, fmt.Errorf("%s: %s %s sets namespace %q: the namespace comes from kubectl -n", name, gvk.Kind, m.GetName(), m.GetNamespace())
		}
		if m.GetLabels()["app.kubernetes.io/part-of"] != "scalelab" || m.GetLabels()["app.kubernetes.io/name"] == "" {
			return nil, fmt.Errorf("%s: %s %s: want labels app.kubernetes.io/name and app.kubernetes.io/part-of: scalelab", name, gvk.Kind, m.GetName())
		}
		objs = append(objs, obj)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s: no objects", name)
	}
	return objs, nil
}

// named returns the object of type T with that name.
func named[T interface {
	runtime.Object
	GetName() string
}](objs []runtime.Object, name string) (T, bool) {
	for _, o := range objs {
		if t, ok := o.(T); ok && t.GetName() == name {
			return t, true
		}
	}
	var zero T
	return zero, false
}

// readFiles reads the checked files from this folder.
func readFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range deployFiles {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	return files
}

// mutate returns a copy of files with old replaced by new, once, in one
// file. It fails the test when old is not there, so that a table of
// mutations cannot go stale unnoticed.
func mutate(t *testing.T, files map[string][]byte, file, old, new string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = v
	}
	s := string(files[file])
	if !strings.Contains(s, old) {
		t.Fatalf("%s has no %q to mutate", file, old)
	}
	out[file] = []byte(strings.Replace(s, old, new, 1))
	return out
}
