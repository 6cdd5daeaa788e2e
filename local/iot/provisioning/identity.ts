/**
 * Who a connection is, from its certificate's registry record, for certificates fleet provisioning knows: a claim
 * certificate carries its template's claim policy and belongs to no thing; a certificate registered by RegisterThing
 * belongs to its thing (which exists outside the stacks) and carries the template's policies.
 */
import type { ProvisioningRecord } from './store';
import { readThing } from './store';
import type { ProvisioningTemplateModel } from '../../assembly/model';
import type { CertificateRecord } from '../certs';

export interface CertificateIdentity {
  readonly certificateThing?: string;
  readonly certificatePolicies?: readonly string[];
  readonly registeredThing?: boolean;
}

export function certificateIdentity(
  dataDir: string,
  record: CertificateRecord | undefined,
  templates: ReadonlyMap<string, ProvisioningTemplateModel> | undefined,
): CertificateIdentity {
  if (!record) return {};
  const r = record as ProvisioningRecord;
  const thing = r.thing === '' ? undefined : r.thing;
  const policies = [...(r.policies ?? []), ...(r.claimTemplate !== undefined ? templates?.get(r.claimTemplate)?.claimPolicies ?? [] : [])];
  return {
    certificateThing: thing,
    ...(policies.length > 0 ? { certificatePolicies: policies } : {}),
    ...(thing !== undefined && readThing(dataDir, thing) ? { registeredThing: true } : {}),
  };
}
