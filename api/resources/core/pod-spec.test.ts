import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPodOnlyFields, defaultPodSpec, defaultPodTemplateSpec, imageTag, validatePodSpec, validatePodTemplateSpec } from './pod-spec.ts';
import type { J } from './json.ts';

function defaulted(spec: J): J {
  defaultPodSpec(spec);
  return spec;
}

function fields(errs: { field: string; type: string; message: string }[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

test('image tags decide the pull policy', () => {
  assert.equal(imageTag('nginx'), 'latest');
  assert.equal(imageTag('nginx:1.25'), '1.25');
  assert.equal(imageTag('registry:5000/team/app'), 'latest');
  assert.equal(imageTag('registry:5000/team/app:v2'), 'v2');
  assert.equal(imageTag('busybox@sha256:' + 'a'.repeat(64)), '');
  assert.equal(imageTag('Nginx'), undefined);
  const s = defaulted({ containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'nginx:1.25' }, { name: 'c', image: 'nginx:latest' }] });
  assert.deepEqual(s.containers.map((c: J) => c.imagePullPolicy), ['Always', 'IfNotPresent', 'Always']);
});

test('PodSpec defaults match upstream', () => {
  const spec = defaulted({
    containers: [
      {
        name: 'web',
        image: 'nginx:1.25',
        ports: [{ containerPort: 80 }],
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        livenessProbe: { httpGet: { port: 80 } },
        readinessProbe: { grpc: { port: 9000 } },
        resources: { limits: { cpu: '0.5', memory: '1024Mi' } },
        lifecycle: { preStop: { httpGet: { port: 8080, path: '/stop' } } },
      },
    ],
    volumes: [
      { name: 'scratch' },
      { name: 'cfg', configMap: { name: 'c' } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
      { name: 'host', hostPath: { path: '/var/log' } },
      { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ],
  });
  assert.deepEqual(spec, {
    containers: [
      {
        name: 'web',
        image: 'nginx:1.25',
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
        livenessProbe: { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        readinessProbe: { grpc: { port: 9000, service: '' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        resources: { limits: { cpu: '500m', memory: '1Gi' } },
        lifecycle: { preStop: { httpGet: { port: 8080, path: '/stop', scheme: 'HTTP' } } },
      },
    ],
    volumes: [
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
      { name: 'host', hostPath: { path: '/var/log', type: '' } },
      { name: 'proj', projected: { defaultMode: 420, sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } },
    ],
    dnsPolicy: 'ClusterFirst',
    restartPolicy: 'Always',
    securityContext: {},
    terminationGracePeriodSeconds: 30,
    schedulerName: 'default-scheduler',
  });
});

test('pod-only defaults: requests from limits, service links, host ports', () => {
  const spec: J = {
    hostNetwork: true,
    containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '1' }, requests: { memory: '1Gi' } } }],
  };
  defaultPodOnlyFields(spec);
  assert.deepEqual(spec.containers[0].resources.requests, { memory: '1Gi', cpu: '1' });
  assert.equal(spec.enableServiceLinks, true);
  assert.equal(spec.containers[0].ports[0].hostPort, 8080);
  // templates don't get them
  const t: J = { spec: { containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '1' } } }] } };
  defaultPodTemplateSpec(t);
  assert.equal(t.spec.containers[0].resources.requests, undefined);
  assert.equal(t.spec.enableServiceLinks, undefined);
});

test('a defaulted minimal spec is valid', () => {
  assert.deepEqual(validatePodSpec(defaulted({ containers: [{ name: 'web', image: 'nginx' }] }), 'spec', { resourceIsPod: true }), []);
});

test('containers are required', () => {
  assert.deepEqual(validatePodSpec(defaulted({}), 'spec'), [{ type: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' }]);
});

test('container name, image, duplicates', () => {
  const errs = validatePodSpec(defaulted({ containers: [{ name: 'Web', image: '' }, { name: 'a', image: 'x' }, { name: 'a', image: 'x' }] }), 'spec');
  assert.deepEqual(fields(errs), [
    `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    'spec.containers[0].image: Required value',
    'spec.containers[2].name: Duplicate value: "a"',
  ]);
  assert.equal(errs[2]!.type, 'FieldValueDuplicate');
});

test('ports: range, names, protocol, host port conflicts', () => {
  const errs = validatePodSpec(
    defaulted({
      containers: [
        { name: 'a', image: 'x', ports: [{ containerPort: 70000, name: 'http' }, { containerPort: 80, name: 'http', protocol: 'ICMP' }, { containerPort: 81, hostPort: 9000 }] },
        { name: 'b', image: 'x', ports: [{ containerPort: 82, hostPort: 9000 }] },
      ],
    }),
    'spec',
  );
  assert.deepEqual(fields(errs), [
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.containers[0].ports[1].name: Duplicate value: "http"',
    'spec.containers[0].ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    'spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//9000"',
  ]);
});

test('env and envFrom', () => {
  const errs = validatePodSpec(
    defaulted({
      containers: [
        {
          name: 'a',
          image: 'x',
          env: [
            { name: '' },
            { name: 'A=B' },
            { name: 'C', value: 'v', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
            { name: 'D', valueFrom: {} },
            { name: 'E', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } },
            { name: 'F', valueFrom: { secretKeyRef: { name: 's', key: 'bad/key' } } },
          ],
          envFrom: [{ prefix: 'P_' }],
        },
      ],
    }),
    'spec',
  );
  assert.deepEqual(fields(errs), [
    'spec.containers[0].env[0].name: Required value',
    `spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
    'spec.containers[0].env[2].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
    'spec.containers[0].env[3].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
    'spec.containers[0].env[4].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
    `spec.containers[0].env[5].valueFrom.secretKeyRef.key: Invalid value: "bad/key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
    'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`',
  ]);
});

test('volumes: names, one source, mounts refer to volumes', () => {
  const errs = validatePodSpec(
    defaulted({
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'data', emptyDir: {} },
        { name: 'two', emptyDir: {}, configMap: { name: 'x' } },
        { name: 'cm', configMap: {} },
        { name: 'h', hostPath: { path: '/x', type: 'Dir' } },
      ],
      containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'missing', mountPath: '/d' }] }],
    }),
    'spec',
  );
  assert.deepEqual(fields(errs), [
    'spec.volumes[1].name: Duplicate value: "data"',
    'spec.volumes[2].configMap: Forbidden: may not specify more than 1 volume type',
    'spec.volumes[3].configMap.name: Required value',
    'spec.volumes[4].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
    'spec.containers[0].volumeMounts[1].name: Not found: "missing"',
    'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique',
  ]);
});

test('probes, restart policy, resources', () => {
  const errs = validatePodSpec(
    defaulted({
      restartPolicy: 'Sometimes',
      containers: [
        {
          name: 'a',
          image: 'x',
          livenessProbe: { successThreshold: 2, exec: { command: ['true'] } },
          readinessProbe: {},
          resources: { limits: { cpu: '100m', memory: '-1' }, requests: { cpu: '200m', foo: '1' } },
        },
      ],
    }),
    'spec',
  );
  assert.deepEqual(fields(errs), [
    'spec.containers[0].resources.limits[memory]: Invalid value: "-1": must be greater than or equal to 0',
    'spec.containers[0].resources.requests: Invalid value: "200m": must be less than or equal to cpu limit of 100m',
    'spec.containers[0].resources.requests[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
    'spec.containers[0].resources.requests[foo]: Invalid value: "foo": must be a standard resource for containers',
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    'spec.containers[0].readinessProbe: Required value: must specify a handler type',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ]);
});

test('init containers: probes only for sidecars, unique names across containers', () => {
  const errs = validatePodSpec(
    defaulted({
      containers: [{ name: 'a', image: 'x' }],
      initContainers: [
        { name: 'a', image: 'x', livenessProbe: { exec: { command: ['x'] } } },
        { name: 'side', image: 'x', restartPolicy: 'Always', readinessProbe: { tcpSocket: { port: 'http' } } },
        { name: 'bad', image: 'x', restartPolicy: 'Never' },
      ],
    }),
    'spec',
  );
  assert.deepEqual(fields(errs), [
    'spec.initContainers[0].name: Duplicate value: "a"',
    'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    'spec.initContainers[2].restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ]);
});

test('scheduling fields', () => {
  const errs = validatePodSpec(
    defaulted({
      containers: [{ name: 'a', image: 'x' }],
      nodeSelector: { 'bad key': 'v' },
      tolerations: [{ operator: 'Equal', value: 'x' }, { key: 'k', operator: 'Exists', value: 'v' }, { key: 'k', tolerationSeconds: 5, effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
      activeDeadlineSeconds: 0,
    }),
    'spec',
  );
  assert.deepEqual(fields(errs).map((s) => s.replace(/ \(e\.g\..*$/, '')), [
    `spec.nodeSelector: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term',
    'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive',
    'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    `spec.tolerations[1].operator: Invalid value: "v": value must be empty when \`operator\` is 'Exists'`,
    `spec.tolerations[2].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when \`tolerationSeconds\` is set`,
  ]);
});

test('hostNetwork: pods need hostPort == containerPort, templates allow 0', () => {
  const spec = defaulted({ hostNetwork: true, containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80 }] }] });
  assert.deepEqual(validatePodSpec(spec, 'spec'), []);
  assert.deepEqual(fields(validatePodSpec(spec, 'spec', { resourceIsPod: true })), [
    'spec.containers[0].ports[0].hostPort: Invalid value: 0: must match `containerPort` when `hostNetwork` is true',
  ]);
});

test('pod templates: label paths skip metadata, ephemeral containers forbidden', () => {
  const t: J = { metadata: { labels: { app: '-x' } }, spec: { containers: [{ name: 'a', image: 'x' }], ephemeralContainers: [{ name: 'e', image: 'x' }] } };
  defaultPodTemplateSpec(t);
  const errs = validatePodTemplateSpec(t, 'spec.template');
  assert.deepEqual(errs.map((e) => e.field), ['spec.template.labels', 'spec.template.spec.ephemeralContainers']);
});
