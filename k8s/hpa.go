package k8s

import (
	"fmt"
	"slices"
	"strings"

	"github.com/scalelab/scalelab/cluster"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
)

// Autoscaler returns the HorizontalPodAutoscaler (autoscaling/v2) whose
// scaleTargetRef names the Deployment, the first by name when several
// do; false when there is none or autoscalers may not be read.
func (d *Deployment) Autoscaler() (cluster.Autoscaler, bool) {
	d.mu.Lock()
	lister := d.hpas
	d.mu.Unlock()
	if lister == nil {
		return cluster.Autoscaler{}, false
	}
	list, err := lister.HorizontalPodAutoscalers(d.o.Namespace).List(labels.Everything())
	if err != nil {
		return cluster.Autoscaler{}, false
	}
	slices.SortFunc(list, func(a, b *autoscalingv2.HorizontalPodAutoscaler) int { return strings.Compare(a.Name, b.Name) })
	for _, h := range list {
		if targets(h, d.o.Name) {
			return autoscalerState(h), true
		}
	}
	return cluster.Autoscaler{}, false
}

// targets reports whether h scales the Deployment name.
func targets(h *autoscalingv2.HorizontalPodAutoscaler, name string) bool {
	ref := h.Spec.ScaleTargetRef
	group, _, _ := strings.Cut(ref.APIVersion, "/")
	return ref.Kind == "Deployment" && ref.Name == name && (ref.APIVersion == "" || group == "apps" || group == "extensions")
}

// autoscalerState is h's view: bounds, replicas and each metric as
// current/target.
func autoscalerState(h *autoscalingv2.HorizontalPodAutoscaler) cluster.Autoscaler {
	a := cluster.Autoscaler{
		Name:    h.Name,
		Min:     1,
		Max:     int(h.Spec.MaxReplicas),
		Current: int(h.Status.CurrentReplicas),
		Desired: int(h.Status.DesiredReplicas),
	}
	if h.Spec.MinReplicas != nil {
		a.Min = int(*h.Spec.MinReplicas)
	}
	for i, m := range h.Spec.Metrics {
		var cur *autoscalingv2.MetricStatus
		if i < len(h.Status.CurrentMetrics) && h.Status.CurrentMetrics[i].Type == m.Type {
			cur = &h.Status.CurrentMetrics[i]
		}
		a.Metrics = append(a.Metrics, metricText(m, cur))
	}
	return a
}

// metricText describes one metric as "NAME CURRENT/TARGET" ("cpu
// 45%/60%", "pods requests_per_second 120/100"); an unknown current
// value is "?".
func metricText(m autoscalingv2.MetricSpec, cur *autoscalingv2.MetricStatus) string {
	switch m.Type {
	case autoscalingv2.ResourceMetricSourceType:
		if m.Resource == nil {
			break
		}
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.Resource != nil {
			c = &cur.Resource.Current
		}
		return string(m.Resource.Name) + " " + valueText(m.Resource.Target, c)
	case autoscalingv2.ContainerResourceMetricSourceType:
		if m.ContainerResource == nil {
			break
		}
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.ContainerResource != nil {
			c = &cur.ContainerResource.Current
		}
		return fmt.Sprintf("%s (container %s) %s", m.ContainerResource.Name, m.ContainerResource.Container, valueText(m.ContainerResource.Target, c))
	case autoscalingv2.PodsMetricSourceType:
		if m.Pods == nil {
			break
		}
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.Pods != nil {
			c = &cur.Pods.Current
		}
		return "pods " + m.Pods.Metric.Name + " " + valueText(m.Pods.Target, c)
	case autoscalingv2.ObjectMetricSourceType:
		if m.Object == nil {
			break
		}
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.Object != nil {
			c = &cur.Object.Current
		}
		return fmt.Sprintf("%s/%s %s %s", strings.ToLower(m.Object.DescribedObject.Kind), m.Object.DescribedObject.Name, m.Object.Metric.Name, valueText(m.Object.Target, c))
	case autoscalingv2.ExternalMetricSourceType:
		if m.External == nil {
			break
		}
		var c *autoscalingv2.MetricValueStatus
		if cur != nil && cur.External != nil {
			c = &cur.External.Current
		}
		return "external " + m.External.Metric.Name + " " + valueText(m.External.Target, c)
	}
	return string(m.Type)
}

// valueText is "current/target" for a metric target: utilization as a
// percentage, else the (average) value.
func valueText(t autoscalingv2.MetricTarget, c *autoscalingv2.MetricValueStatus) string {
	qty := func(q *resource.Quantity) string {
		if q == nil {
			return "?"
		}
		return q.String()
	}
	switch {
	case t.AverageUtilization != nil:
		now := "?"
		if c != nil && c.AverageUtilization != nil {
			now = fmt.Sprint(*c.AverageUtilization)
		}
		return fmt.Sprintf("%s%%/%d%%", now, *t.AverageUtilization)
	case t.AverageValue != nil:
		var now *resource.Quantity
		if c != nil {
			now = c.AverageValue
		}
		return qty(now) + "/" + qty(t.AverageValue)
	default:
		var now *resource.Quantity
		if c != nil {
			now = c.Value
		}
		return qty(now) + "/" + qty(t.Value)
	}
}
