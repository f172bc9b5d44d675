// The pluggable parts of the REST layer that live in api/: Table conversion, the patch
// engines and the OpenAPI documents, wired to the app's hooks.
import type { KubeObject } from '../api/registry/descriptor.ts';
import type { Registry } from '../api/registry/registry.ts';
import { applyJsonPatch } from '../api/patch/json-patch.ts';
import { applyMergePatch } from '../api/patch/merge-patch.ts';
import { applyStrategicMergePatch } from '../api/patch/strategic-merge-patch.ts';
import { apiErrors } from '../api/errors.ts';
import type { OpenApiHandler } from './app.ts';
import { openApiHandler } from './openapi.ts';
import { bindingHandlers } from './binding.ts';
import { evictionHandlers } from './eviction.ts';
import { metricsHandlers } from './metrics-api.ts';
import type { Pki } from './certs.ts';
import { streamHandlers } from './streams/index.ts';
import type { RestExtensions, SubresourceHandler } from './rest.ts';

export interface DefaultExtensions {
  extensions: RestExtensions;
  subresources: Map<string, SubresourceHandler>;
  openapi?: OpenApiHandler;
}

export const applyPatch: NonNullable<RestExtensions['applyPatch']> = (contentType, current, patch, d) => {
  switch (contentType) {
    case 'application/json-patch+json':
      return applyJsonPatch(current, patch) as KubeObject;
    case 'application/merge-patch+json':
      return applyMergePatch(current, patch) as KubeObject;
    case 'application/strategic-merge-patch+json':
      // Upstream serves strategic merge patches for built-in kinds only (415 for custom resources).
      return applyStrategicMergePatch(current, patch, d.model) as KubeObject;
    default:
      throw apiErrors.unsupportedMediaType(contentType);
  }
};

/** `pki`: the cluster CA, for the pods' streaming subresources (log, exec, attach, portforward) to reach node agents. */
export async function defaultExtensions(registry: Registry, pki?: Pick<Pki, 'caKey'>): Promise<DefaultExtensions> {
  const streams = pki ? streamHandlers(pki) : new Map<string, SubresourceHandler>();
  return { extensions: { applyPatch }, subresources: new Map([...bindingHandlers(), ...evictionHandlers(), ...metricsHandlers(), ...streams]), openapi: openApiHandler(registry) };
}
