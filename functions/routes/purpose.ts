// The purpose of an operator read (issue 14, docs/privacy.md#access-log). Every route that
// lets the service read one person's data takes `purpose`, required for the service and
// ignored for a user reading their own: without it the route answers 400
// purpose_required before anything is read; the database checks it is one of
// eightfold.access_purposes (else 400 purpose_unknown) and writes the access-log entry in
// the same transaction as the read.
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../context.ts';
import { ApiError } from '../errors.ts';

export const PurposeParam = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, 'an access purpose such as "support" (GET /v1/operator/privacy/purposes)')
  .optional()
  .openapi({
    description:
      "Service only, and required there: why the operator reads this person's data, one of GET /v1/operator/privacy/purposes (support, dispute, payout, fraud_review, audit, legal_obligation, data_request). The read is written to the access log.",
    example: 'support',
  });

/** The purpose of the caller's read: required for the service, none for a user. */
export function purposeFor(c: Context<AppEnv>, purpose: string | undefined): string | null {
  if (c.var.caller.kind !== 'service') return null;
  if (!purpose) {
    throw new ApiError(
      'purpose_required',
      "Reading a person's data with the service key needs a purpose: pass ?purpose= with one of GET /v1/operator/privacy/purposes.",
      'purpose',
    );
  }
  return purpose;
}
