// PodSpec and PodTemplateSpec defaulting and validation, shared by Pods and every workload
// (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, ReplicationControllers, PodTemplates).
export { defaultContainer, defaultPodOnlyFields, defaultPodSpec, defaultPodTemplateSpec, defaultPersistentVolumeClaimSpec, imageTag } from './pod-spec-defaults.ts';
export { validatePodSpec, validatePodSpecificAnnotations, validatePodTemplateSpec, type PodSpecValidationOptions } from './pod-spec-validation.ts';
export { validatePersistentVolumeClaimSpec } from './pvc-spec.ts';
