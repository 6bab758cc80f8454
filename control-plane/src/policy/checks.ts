import { ENTITY_TYPES, findSecrets, unsafeRegexReason } from '../masking/index.ts';
import type { ContentChecks } from './validate.ts';

/** The masking engine's own checks: the regex safety rule and secret detectors the request path uses. */
export const MASKING_CONTENT_CHECKS: ContentChecks = Object.freeze({ unsafeRegexReason, findSecrets, entityTypes: ENTITY_TYPES });
