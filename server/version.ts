// What /version answers. kubectl 1.27–1.33 are the supported clients and kubectl warns on
// `kubectl version` when client and server minors differ by more than one; 1.30 sits in the
// middle of that range (1.29–1.31 see no skew at all, and every client is within three).
// The API surface served (aggregated discovery v2 and v2beta1, ...) is what a 1.30
// kube-apiserver serves. Change the three numbers together.
export const KUBE_MAJOR = '1';
export const KUBE_MINOR = '30';
export const KUBE_PATCH = '14';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export function versionInfo(): VersionInfo {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return {
    major: KUBE_MAJOR,
    minor: KUBE_MINOR,
    gitVersion: `v${KUBE_MAJOR}.${KUBE_MINOR}.${KUBE_PATCH}-k8ts`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-06-17T18:36:37Z',
    goVersion: 'go1.23.10',
    compiler: 'gc',
    platform: `${process.platform}/${arch}`,
  };
}
