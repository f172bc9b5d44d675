// Checks the CSI kinds of storage.k8s.io share (pkg/apis/core/validation, pkg/apis/storage/validation).
import type { FieldError } from '../../errors.ts';
import { fieldErrors } from '../../validation/field-errors.ts';
import { isDNS1123Subdomain } from '../../validation/names.ts';

const CSI_DRIVER_NAME_MAX_LENGTH = 63;

/** apivalidation.ValidateCSIDriverName: required, at most 63 characters, a DNS subdomain (case-insensitive). */
export function validateCSIDriverName(name: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (name.length === 0) errs.push(fieldErrors.required(path));
  if (name.length > CSI_DRIVER_NAME_MAX_LENGTH) errs.push(fieldErrors.tooLong(path, CSI_DRIVER_NAME_MAX_LENGTH));
  for (const msg of isDNS1123Subdomain(name.toLowerCase())) errs.push(fieldErrors.invalid(path, name, msg));
  return errs;
}

/**
 * Where upstream's validation reports an error twice (a VolumeAttachment's empty attacher; the
 * create checks run again on update of CSINodes and VolumeAttachments), its Invalid message
 * lists it once (ErrorList.ToAggregate drops repeats): so do we.
 */
export function uniqueErrors(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = `${e.field}\0${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
