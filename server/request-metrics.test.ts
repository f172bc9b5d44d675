import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestMetrics, requestLabels } from './request-metrics.ts';

describe('apiserver_request_duration_seconds', () => {
  it('labels requests as kube-apiserver does', () => {
    const l = (method: string, path: string, query: Record<string, string> = {}, ct = '') => {
      const r = requestLabels(method, path, query, ct);
      return r && `${r.verb} ${r.group}/${r.version} ${r.resource}/${r.subresource} ${r.scope}`;
    };
    assert.equal(l('POST', '/api/v1/namespaces/default/pods'), 'POST /v1 pods/ resource');
    assert.equal(l('POST', '/api/v1/namespaces/default/pods/p1/binding'), 'POST /v1 pods/binding resource');
    assert.equal(l('PUT', '/api/v1/namespaces/default/pods/p1/status'), 'PUT /v1 pods/status resource');
    assert.equal(l('GET', '/api/v1/namespaces/default/pods'), 'LIST /v1 pods/ namespace');
    assert.equal(l('GET', '/api/v1/pods'), 'LIST /v1 pods/ cluster');
    assert.equal(l('GET', '/apis/apps/v1/namespaces/ns/deployments/d'), 'GET apps/v1 deployments/ resource');
    assert.equal(l('DELETE', '/api/v1/namespaces/ns/configmaps'), 'DELETECOLLECTION /v1 configmaps/ namespace');
    assert.equal(l('PATCH', '/api/v1/nodes/n1', {}, 'application/apply-patch+yaml'), 'APPLY /v1 nodes/ resource');
    // A namespace's own subresources, and the namespace itself.
    assert.equal(l('PUT', '/api/v1/namespaces/ns/finalize'), 'PUT /v1 namespaces/finalize resource');
    assert.equal(l('GET', '/api/v1/namespaces/ns'), 'GET /v1 namespaces/ resource');
    // Long-running requests and non-resource paths are not timed.
    assert.equal(l('GET', '/api/v1/pods', { watch: 'true' }), undefined);
    assert.equal(l('GET', '/api/v1/watch/namespaces/ns/pods'), undefined);
    assert.equal(l('POST', '/api/v1/namespaces/ns/pods/p/exec'), undefined);
    assert.equal(l('GET', '/api/v1'), undefined);
    assert.equal(l('GET', '/healthz'), undefined);
  });

  it('exposes cumulative buckets in the Prometheus text format', () => {
    const m = new RequestMetrics();
    const labels = requestLabels('POST', '/api/v1/namespaces/default/pods', {})!;
    m.observe(labels, 0.003);
    m.observe(labels, 0.3);
    const text = m.text();
    const series = 'component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"';
    assert.match(text, /^# TYPE apiserver_request_duration_seconds histogram$/m);
    assert.ok(text.includes(`apiserver_request_duration_seconds_bucket{${series},le="0.005"} 1\n`));
    assert.ok(text.includes(`apiserver_request_duration_seconds_bucket{${series},le="0.4"} 2\n`));
    assert.ok(text.includes(`apiserver_request_duration_seconds_bucket{${series},le="+Inf"} 2\n`));
    assert.ok(text.includes(`apiserver_request_duration_seconds_count{${series}} 2\n`));
  });
});
