import { test } from 'node:test';
import { startCluster } from '/work/main/conformance/api/upstream/harness.ts';
test('repro', async () => {
  const cl = await startCluster();
  for (const [p, body] of [['/api/v1/namespaces/fz-19', '!!binary aGVsbG8='], ['/api/v1/namespaces/default/configmaps/x', '!!binary aGVsbG8='], ['/api/v1/namespaces', '!!binary aGVsbG8=']] as const) {
    try {
      const r = await cl.client.request(p.endsWith('namespaces') ? 'POST' : 'PUT', p, { raw: body, contentType: 'application/yaml' });
      console.log(p, r.status, r.text.slice(0, 300));
    } catch (e) { console.log(p, 'ERR', (e as Error).message); }
  }
  await cl.close();
});
