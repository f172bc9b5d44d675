// core/v1 ServiceAccount: nothing to validate beyond metadata (upstream ValidateServiceAccount).
import type { ResourceDescriptor } from '../../registry/descriptor.ts';
import { ageColumn, ALL_VERBS, column } from './common.ts';
import { DOCS } from './column-docs.ts';
import { objs } from './json.ts';

export const serviceaccounts: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  listKind: 'ServiceAccountList',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  shortNames: ['sa'],
  categories: [],
  namespaced: true,
  nameFormat: 'dns1123Subdomain',
  verbs: ALL_VERBS,
  // serviceaccounts/token (TokenRequest) is served by the server's own code.
  subresources: { token: true },
  model: 'V1ServiceAccount',
  printerColumns: [column('Secrets', 'string', DOCS['V1ServiceAccount.secrets'], (obj) => objs(obj.secrets).length), ageColumn()],
  fieldSelectors: {},
  strategy: { defaults: () => {}, validate: () => [], validateUpdate: () => [], tracksGeneration: false },
  storageResource: 'serviceaccounts',
};
