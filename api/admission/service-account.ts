// The ServiceAccount admission plugin's defaulting (upstream plugin/pkg/admission/
// serviceaccount): a pod created without a service account runs as `default`, and the
// deprecated `spec.serviceAccount` mirrors the name (as v1's conversion writes it). Not done
// here: refusing pods whose service account does not exist yet, and the kube-api-access token
// volume (no TokenRequest API to mint its token).
import type { KubeObject } from '../registry/descriptor.ts';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export function admitServiceAccount(pod: KubeObject): void {
  const spec = pod.spec;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return;
  const s = spec as { serviceAccountName?: unknown; serviceAccount?: unknown };
  const given = [s.serviceAccountName, s.serviceAccount].find((v): v is string => typeof v === 'string' && v !== '');
  s.serviceAccountName = given ?? DEFAULT_SERVICE_ACCOUNT;
  s.serviceAccount = s.serviceAccountName;
}
