import { digitGroupRecognizer, type DigitGroupLayout } from './digit-group-ids.ts';
import { patternRecognizer, type PatternSpec, type Recognizer, type StartedPatternSpec } from './recognizer.ts';
import type { Candidate, ScanContext } from './scan-context.ts';
import {
  aadhaarValid,
  alphanumericsOf,
  base58CheckValid,
  bech32Valid,
  creditCardValid,
  deTaxIdValid,
  digitCount,
  digitsOf,
  esNifValid,
  ethereumAddressValid,
  ibanValid,
  ibanLengthOf,
  ipv6Valid,
  jwtHeaderValid,
  ninoValid,
  nhsValid,
  plausibleBirthDate,
  shannonEntropy,
  sinValid,
  ssnValid,
  tfnValid,
} from './validators.ts';

/*
 * The built-in recognizers. Every regex is created once here, at module load, and bounded: no
 * unbounded quantifier follows another that can match the same characters, so a scan stays linear
 * in the input (adversarial inputs are part of `bench/masking.ts`). JavaScript's `\b` is ASCII-only,
 * which is what these ASCII-shaped identifiers need; normalisation has already folded full-width forms.
 */

// ---------------------------------------------------------------------------------------------
// Email: found from each `@` outwards instead of by a regex that would retry at every character.

const LOCAL_MAX = 64; // RFC 5321 §4.5.3.1.1
const DOMAIN_MAX = 255;

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAsciiAlphanumeric(c: number): boolean {
  return (c >= 48 && c <= 57) || isAsciiLetter(c);
}

function isHexDigit(c: number): boolean {
  const letter = c | 0x20;
  return (c >= 48 && c <= 57) || (letter >= 97 && letter <= 102);
}

/** Where the hex digits of `text` from `from` on end, reading at most `most` of them. */
function hexRunEnd(text: string, from: number, most: number): number {
  let end = from;
  while (end - from < most && isHexDigit(text.charCodeAt(end))) end++;
  return end;
}

function isLocalChar(c: number): boolean {
  return isAsciiAlphanumeric(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // . _ % + -
}

function isDomainChar(c: number): boolean {
  return isAsciiAlphanumeric(c) || c === 46 || c === 45; // . -
}

const TLD_MIN = 2;
const TLD_MAX = 24;
const lowerCase = (v: string): string => v.toLowerCase();
const macCanonical = (v: string): string => alphanumericsOf(v).toLowerCase();

/** Where the local part before the `@` at `at` begins; `at` when it is empty. */
function localPartStart(text: string, at: number): number {
  let start = at;
  while (start > 0 && at - start < LOCAL_MAX && isLocalChar(text.charCodeAt(start - 1))) start--;
  while (start < at && text.charCodeAt(start) === 46) start++; // leading dots
  return start;
}

/** Where the domain after the `@` at `at` ends, if it is one with a top-level domain; 0 if not.
 * Offsets only, no slices or span tuples: this runs for every `@` of every request. */
function domainEnd(text: string, at: number): number {
  let end = at + 1;
  while (end < text.length && end - at <= DOMAIN_MAX && isDomainChar(text.charCodeAt(end))) end++;
  while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--; // trailing dots and dashes
  let lastDot = end - 1;
  while (lastDot > at && text.charCodeAt(lastDot) !== 46) lastDot--; // bounded by DOMAIN_MAX, unlike lastIndexOf
  const tld = end - lastDot - 1;
  if (lastDot <= at + 1 || tld < TLD_MIN || tld > TLD_MAX) return 0;
  for (let i = lastDot + 1; i < end; i++) if (!isAsciiLetter(text.charCodeAt(i))) return 0;
  return end;
}

const emailRecognizer: Recognizer = {
  applies: (ctx) => ctx.text.includes('@'),
  find(ctx: ScanContext, out: Candidate[]) {
    const { text } = ctx;
    for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
      const start = localPartStart(text, at);
      const end = start < at ? domainEnd(text, at) : 0;
      if (end === 0) continue;
      out.push({ type: 'EMAIL_ADDRESS', start, end, specificity: 65, value: text.slice(start, end), canonical: lowerCase });
      at = end - 1;
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Helpers shared by several specs.

const DB_URL_USER_PASSWORD = /^[^/]*\/\/[^/@\s]*:[^/@\s]+@/;
const DB_URL_PASSWORD_PARAMETER = /[?&;](?:password|pwd)=[^&;]+/i;
const URL_USER_PASSWORD = /^[^/]*\/\/[^/?#@\s]*:[^/?#@\s]+@/;
const URL_SIGNED_QUERY =
  /[?&](?:x-amz-signature|x-goog-signature|x-amz-credential|signature|sig|access_token|token|api_key|apikey|key|auth|password|secret)=[^&#\s]{6,}/i;
const TRAILING_PUNCTUATION = `.,;:!?)]}'"`;

/** The length of `v` without its trailing punctuation. A loop, not `replace(/[…]+$/)`: that regex
 * is tried from every position of the value (about 270 ns for a 45-character connection string). */
function trimTrailingPunctuation(v: string): number {
  let end = v.length;
  while (end > 0 && TRAILING_PUNCTUATION.includes(v[end - 1]!)) end--;
  return end;
}

/** Whether the text holds four hex digits between two dots, the middle of a dotted MAC address.
 * Dots are found by `indexOf`: the regex `\.[0-9A-Fa-f]{4}\.` reads every character (1.3–1.6 µs
 * over 2 KB of prose, against 0.3–0.5). */
function hasDottedHexGroup(text: string): boolean {
  for (let dot = text.indexOf('.'); dot >= 0; dot = text.indexOf('.', dot + 1)) {
    if (text.charCodeAt(dot + 5) === 46 && hexRunEnd(text, dot + 1, 4) === dot + 5) return true;
  }
  return false;
}

// Regexes used inside validators are constants: every evaluation of a literal allocates a new
// RegExp, and validators run on every candidate of every request.
const DIGIT = /\d/;
const ASCII_LETTER = /[A-Za-z]/;
const NON_ALPHANUMERIC = /[^A-Za-z0-9]/;
const LOWER_CASE = /[a-z]/;
const UPPER_CASE = /[A-Z]/;
const PASSWORD_KEY = /^(?:pass|pwd)/i;

function hasDigitAndLetter(v: string): boolean {
  return DIGIT.test(v) && ASCII_LETTER.test(v);
}

const PLACEHOLDER_VALUE = /^(?:[$%{<*]|x{4,}|changeme|password|redacted|example|none|null|true|false)/i;

/**
 * `key=value` secrets: a password needs only to look like one (not a plain lower-case word); other
 * keys need a random-looking value (Shannon entropy of at least 3 bits per character).
 */
function genericSecretValid(value: string, match: RegExpExecArray): boolean {
  if (PLACEHOLDER_VALUE.test(value)) return false;
  const mixed = DIGIT.test(value) || NON_ALPHANUMERIC.test(value) || (LOWER_CASE.test(value) && UPPER_CASE.test(value));
  if (PASSWORD_KEY.test(match[1]!)) return mixed;
  return value.length >= 8 && mixed && shannonEntropy(value) >= 3;
}

// ---------------------------------------------------------------------------------------------
// Global PII.

const PHONE_00_COUNTRY_CODE = /^00[1-9]\d{0,3}[ .-]/;
const DOUBLED_SEPARATOR = /[ .-]{2}/;
// National formats, anchored on the candidate (which is at most 26 characters).
const NANP_FORMAT = /^(?:1[ .-]?)?(?:\([2-9]\d{2}\)|[2-9]\d{2})[ .-]?[2-9]\d{2}[ .-]\d{4}$/; // (415) 555-0132, 415.555.0132
const TRUNK_ZERO_FORMATS: readonly RegExp[] = [
  /^0\d{2,4} \d{3,4} ?\d{3,4}$/, // UK and similar: 020 7946 0958, 07700 900123
  /^0\d{2,5}[ /-]\d{4,9}$/, // DE, AT, NL …: 030 12345678, 089/1234567
  /^0[1-9](?:[ .]\d{2}){4}$/, // FR: 01 23 45 67 89
];

/** Picks the formats by the first character instead of trying each: most candidates in PII-dense
 * text are cards, IBANs and IDs that start with neither `+` nor `0`, and need one regex call, not four. */
function phoneValid(value: string): boolean {
  const first = value.charCodeAt(0);
  if (first === 43 || value.startsWith('00')) {
    if (first !== 43 && !PHONE_00_COUNTRY_CODE.test(value)) return false; // a bare 00… run is a reference number
    const digits = digitCount(value);
    return digits >= 8 + (first === 43 ? 0 : 2) && digits <= 17 && !DOUBLED_SEPARATOR.test(value);
  }
  if (first !== 48) return NANP_FORMAT.test(value);
  for (const format of TRUNK_ZERO_FORMATS) if (format.test(value)) return true;
  return false;
}

function phoneCanonical(value: string): string {
  const digits = digitsOf(value);
  if (value.startsWith('+')) return `+${digits}`;
  if (value.startsWith('00')) return `+${digits.slice(2)}`;
  return digits;
}

function ibanCandidate(value: string): number {
  // The regex may run past the IBAN into following words: keep exactly the country's length.
  const expected = ibanLengthOf(value.charCodeAt(0), value.charCodeAt(1));
  if (expected === 0) return 0;
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    if (isAsciiAlphanumeric(value.charCodeAt(i))) count++;
    if (count === expected) return isAsciiAlphanumeric(value.charCodeAt(i + 1)) ? 0 : i + 1;
  }
  return 0;
}

const VERSION_CONTEXT = /\b(?:version|ver\.?|release|build|firmware|v)\s*$/i;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function monthNumber(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

function fullYear(year: string): number {
  const y = Number(year);
  return year.length === 2 ? (y > 30 ? 1900 + y : 2000 + y) : y;
}

const MONTH_NAME = '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
// Shared by the four date recognizers: a text without any of these words is searched for them
// once, not once per date shape (see the required-context prefilter in recognizer.ts). Word
// boundaries by Unicode letter, not `\b`: JavaScript's `\b` is ASCII-only, so it found "né" at the
// start of "nécessaire" and never after "né" followed by a space.
const BIRTH_CONTEXT = /(?<![\p{L}\p{N}_])(?:born|birth|dob|d\.o\.b|birthday|birthdate|geboren|nacimiento|née?)(?![\p{L}\p{N}_])/u;

/** One date shape: its regex (three numbered groups) and how the groups make a plausible birth date. */
interface DateShape {
  readonly regex: RegExp;
  readonly plausible: (m: RegExpExecArray, currentYear: number) => boolean;
}

// One regex per date shape, except the two numeric ones: a top-level alternation of a digit and a
// month name defeats V8's first-character quick check. Numbered groups, not named ones: V8 builds a
// dictionary object for a match's `groups`, several hundred bytes per candidate.
const DATE_OF_BIRTH_SHAPES: readonly DateShape[] = [
  {
    // 1985-04-23, or 23/04/1985 and 04.23.85 (day-first or month-first). One pass for both: they
    // begin differently (four digits and a dash, or one or two digits and a separator), and neither
    // can begin inside the other (`test/unit/masking/recognizer.test.ts` checks it against the two
    // patterns on their own); two passes cost 2 µs more on PII-dense text.
    regex: /(?<!\d)(?:((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?!\d)|(?<![./-])(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?![\d./-]?\d))/g,
    plausible: (m, year) => {
      if (m[1] !== undefined) return plausibleBirthDate(Number(m[1]), Number(m[2]), Number(m[3]), year);
      const a = Number(m[4]);
      const b = Number(m[5]);
      const y = fullYear(m[6]!);
      return plausibleBirthDate(y, b, a, year) || plausibleBirthDate(y, a, b, year);
    },
  },
  {
    // 23rd of April, 1985
    regex: new RegExp(String.raw`\b(\d{1,2})(?:st|nd|rd|th)?\s{1,3}(?:of\s{1,3})?(${MONTH_NAME})\.?,?\s{1,3}((?:19|20)\d{2})\b`, 'gi'),
    plausible: (m, year) => plausibleBirthDate(Number(m[3]), monthNumber(m[2]!), Number(m[1]), year),
  },
  {
    // April 23rd, 1985
    regex: new RegExp(String.raw`\b(${MONTH_NAME})\.?\s{1,3}(\d{1,2})(?:st|nd|rd|th)?,?\s{1,3}((?:19|20)\d{2})\b`, 'gi'),
    plausible: (m, year) => plausibleBirthDate(Number(m[3]), monthNumber(m[1]!), Number(m[2]), year),
  },
];

// ---------------------------------------------------------------------------------------------
// IPv6: found around each `:x:` and grown to the whole address, instead of a regex that would
// start at every hex letter of ordinary words.

/**
 * Where the next `:x:` (up to four hex digits between two colons) from `from` on ends; -1 if none.
 * Colons are found by `indexOf`, six times faster than the same search as a regex
 * (`/:[0-9A-Fa-f]{0,4}:/g`: 1.5 against 0.25 µs over a PII-dense 2 KB text).
 */
function ipv6AnchorEnd(text: string, from: number): number {
  for (let colon = text.indexOf(':', from); colon >= 0; colon = text.indexOf(':', colon + 1)) {
    const after = hexRunEnd(text, colon + 1, 4);
    if (text.charCodeAt(after) === 58) return after + 1;
  }
  return -1;
}

const IPV6_MAX = 45 + 17; // the longest textual IPv6 address plus a zone id

function isIpv6Char(c: number): boolean {
  return isHexDigit(c) || c === 58 || c === 46; // : .
}

function isWordChar(c: number): boolean {
  return isAsciiAlphanumeric(c) || c === 95;
}

const ipv6Recognizer: Recognizer = {
  applies: (ctx) => ctx.text.includes(':'),
  find(ctx: ScanContext, out: Candidate[]) {
    const { text } = ctx;
    let from = 0;
    for (let anchorEnd = ipv6AnchorEnd(text, from); anchorEnd >= 0; anchorEnd = ipv6AnchorEnd(text, from)) {
      let anchor = anchorEnd - 2;
      while (text.charCodeAt(anchor) !== 58) anchor--;
      let start = anchor;
      while (start > 0 && anchor - start < IPV6_MAX && isIpv6Char(text.charCodeAt(start - 1))) start--;
      let end = anchorEnd;
      while (end < text.length && end - start < IPV6_MAX && isIpv6Char(text.charCodeAt(end))) end++;
      if (text[end] === '%') {
        end++; // zone id, RFC 6874
        while (end < text.length && end - start < IPV6_MAX && isWordChar(text.charCodeAt(end))) end++;
      }
      while (text[end - 1] === '.') end--;
      const before = text.charCodeAt(start - 1);
      const after = text.charCodeAt(end);
      from = Math.max(end, anchor + 1);
      if (isWordChar(before) || isWordChar(after) || after === 58) continue;
      const value = text.slice(start, end);
      const zone = value.indexOf('%');
      const address = zone < 0 ? value : value.slice(0, zone);
      if (ipv6Valid(address)) out.push({ type: 'IP_ADDRESS', start, end, specificity: 60, value: address, canonical: lowerCase });
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Person heuristics.

const NOT_A_NAME = new Set([
  'All', 'Everyone', 'Team', 'Folks', 'Guys', 'There', 'Again', 'World', 'Customer', 'Customers', 'Sir', 'Madam',
  'Colleagues', 'Support', 'Friends', 'Both', 'Everybody', 'Partners', 'Members', 'Regards', 'Thanks', 'The', 'For',
  'In', 'On', 'To', 'And', 'This', 'That', 'We', 'You', 'Your', 'Our', 'It', 'Is', 'From', 'With',
]);

const WHITESPACE = /\s/;

function personHeuristicValid(value: string): boolean {
  const firstWordEnd = value.search(WHITESPACE);
  return !NOT_A_NAME.has(firstWordEnd < 0 ? value : value.slice(0, firstWordEnd));
}

const NAME_WORDS = String.raw`[A-Z][a-z'-]{1,30}(?:[ \t]{1,3}[A-Z][a-z'-]{1,30}){0,2}`;

/**
 * The honorific, greeting and self-introduction heuristics (no NER on the request path), one regex
 * each, behind the literals one of which each match contains. Prose without them skips the three
 * passes, 2.7 µs of a 12.5 µs clean 2 KB scan. A one-letter literal is answered by the memoised
 * character gate, without a search: `M` stands for the honorifics that begin with it, `H` for the
 * greetings.
 */
export const PERSON_HEURISTIC_SPECS: readonly PatternSpec[] = [
  {
    prefix: String.raw`\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle)\.?[ \t]{1,3}`,
    literals: ['M', 'Dr', 'Prof', 'Sir', 'Dame', 'Herr', 'Frau'],
  },
  {
    prefix: String.raw`\b(?:Dear|Hi|Hello|Hey|Regards|Sincerely|Cheers|Thanks|Best)[,!]?\s{1,4}`,
    literals: ['Dear', 'H', 'Regards', 'Sincerely', 'Cheers', 'Thanks', 'Best'],
  },
  { prefix: String.raw`\b(?:[Mm]y name is|[Nn]ame:)[ \t]{1,3}`, literals: ['y name is', 'ame:'] },
].map(({ prefix, literals }) => ({
  type: 'PERSON',
  specificity: 20,
  regex: new RegExp(`${prefix}(${NAME_WORDS})\\b`, 'gd'),
  literals,
  valueGroup: 1,
  validate: personHeuristicValid,
  canonical: lowerCase,
}));

// ---------------------------------------------------------------------------------------------
// The catalogue.

/** The built-in regex recognizers' descriptions (exported for the test that checks each `starts`). */
export const BUILTIN_PATTERN_SPECS: readonly PatternSpec[] = [
  // ----- secrets (gitleaks' rule set is the reference for shapes) -----
  {
    type: 'PRIVATE_KEY',
    specificity: 100,
    regex: /-----BEGIN[\sA-Z0-9]{0,40}PRIVATE\s{1,4}KEY(?:\s{1,4}BLOCK)?-----(?:[\s\S]{0,16384}?-----END[\sA-Z0-9]{0,40}PRIVATE\s{1,4}KEY(?:\s{1,4}BLOCK)?-----|[A-Za-z0-9+/=\s:,-]{0,16384})/gi,
    literals: ['-----'],
  },
  {
    type: 'AZURE_CONNECTION_STRING',
    specificity: 95,
    regex: /(?:DefaultEndpointsProtocol=https?;|Endpoint=sb:\/\/)[^\s"'`]{0,512}?(?:AccountKey|SharedAccessKey)=[A-Za-z0-9+/=]{20,128}(?:;[A-Za-z]{1,40}=[^;\s"'`]{1,256}){0,4};?/gi,
    lowerLiterals: ['accountkey=', 'sharedaccesskey='],
  },
  {
    type: 'DB_CONNECTION_STRING',
    specificity: 95,
    regex: /\b(?:jdbc:)?(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle|cockroachdb|clickhouse):\/\/[^\s"'<>`]{1,2048}/gi,
    literals: ['://'],
    trim: trimTrailingPunctuation,
    validate: (v) => DB_URL_USER_PASSWORD.test(v) || DB_URL_PASSWORD_PARAMETER.test(v),
  },
  {
    type: 'DB_CONNECTION_STRING',
    specificity: 95,
    literals: ['='],
    lowerLiterals: ['password', 'pwd'],
    regex: /\b(?:Server|Data Source|Host|Address)\s{0,3}=\s{0,3}[^;\n]{1,256};[^\n"'`]{0,1024}?\b(?:Password|Pwd)\s{0,3}=\s{0,3}[^;\s"'`]{1,256};?/gi,
  },
  {
    type: 'URL',
    specificity: 70,
    regex: /\b(?:https?|ftps?|wss?|sftp|ssh|git|smtps?|imaps?|ldaps?):\/\/[^\s"'<>`]{1,4096}/gi,
    literals: ['://'],
    trim: trimTrailingPunctuation,
    validate: (v) => URL_USER_PASSWORD.test(v) || URL_SIGNED_QUERY.test(v),
  },
  {
    type: 'AWS_ACCESS_KEY',
    specificity: 90,
    regex: /\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b/g,
    literals: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'],
  },
  {
    type: 'AWS_SECRET_KEY',
    specificity: 85,
    regex: /secret_?(?:access_?)?key["']?\s{0,3}(?:[:=]|=>)\s{0,3}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi,
    literals: [':', '='],
    valueGroup: 1,
    validate: hasDigitAndLetter,
  },
  {
    type: 'GCP_API_KEY',
    specificity: 90,
    regex: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
    literals: ['AIza'],
  },
  {
    type: 'GCP_API_KEY',
    specificity: 90,
    regex: /"private_key_id"\s{0,3}:\s{0,3}"([0-9a-f]{40})"/dg,
    literals: ['private_key_id'],
    valueGroup: 1,
  },
  {
    type: 'ANTHROPIC_API_KEY',
    specificity: 92,
    regex: /\bsk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{20,200}(?![A-Za-z0-9_-])/g,
    literals: ['sk-ant-'],
  },
  {
    type: 'OPENAI_API_KEY',
    specificity: 90,
    regex: /\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,200}(?![A-Za-z0-9_-])/g,
    literals: ['sk-'],
    validate: (v) => !v.startsWith('sk-ant-') && hasDigitAndLetter(v),
  },
  {
    type: 'HUGGINGFACE_TOKEN',
    specificity: 90,
    regex: /\bhf_[A-Za-z0-9]{34,40}\b/g,
    literals: ['hf_'],
  },
  {
    type: 'GITHUB_TOKEN',
    specificity: 90,
    regex: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{50,255})\b/g,
    literals: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  },
  {
    type: 'GITLAB_TOKEN',
    specificity: 90,
    regex: /\bgl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent|ffct)-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])/g,
    // Every GitLab token starts so; one search instead of one per token kind.
    literals: ['gl'],
  },
  {
    type: 'NPM_TOKEN',
    specificity: 90,
    regex: /\bnpm_[A-Za-z0-9]{36}\b/g,
    literals: ['npm_'],
  },
  {
    type: 'PYPI_TOKEN',
    specificity: 90,
    regex: /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}/g,
    literals: ['pypi-'],
  },
  {
    type: 'SLACK_TOKEN',
    specificity: 90,
    regex: /\b(?:xox[abposre]-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Z0-9]{1,32}-\d{1,32}-[a-z0-9]{16,128})|https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]{20,200}/g,
    literals: ['xox', 'xapp-', 'hooks.slack.com'],
  },
  {
    type: 'STRIPE_KEY',
    specificity: 90,
    regex: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}\b|\bwhsec_[A-Za-z0-9]{24,64}\b/g,
    literals: ['_live_', '_test_', 'whsec_'],
  },
  {
    type: 'TWILIO_API_KEY',
    specificity: 90,
    regex: /\bSK[0-9a-fA-F]{32}\b/g,
    literals: ['SK'],
    validate: hasDigitAndLetter,
  },
  {
    type: 'SENDGRID_API_KEY',
    specificity: 90,
    regex: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g,
    literals: ['SG.'],
  },
  {
    type: 'JWT',
    specificity: 88,
    regex: /\beyJ[A-Za-z0-9_-]{5,4096}\.eyJ[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,4096}/g,
    literals: ['eyJ'],
    validate: jwtHeaderValid,
  },
  {
    type: 'BEARER_TOKEN',
    specificity: 60,
    regex: /\b(Bearer|Basic)[ \t]{1,4}([A-Za-z0-9._~+/-]{16,4096}=*)/dgi,
    lowerLiterals: ['bearer', 'basic'],
    valueGroup: 2,
    validate: (v, m) =>
      m[1]!.toLowerCase() === 'basic' ? Buffer.from(v, 'base64').toString('latin1').includes(':') : hasDigitAndLetter(v),
  },
  {
    type: 'GENERIC_SECRET',
    specificity: 50,
    regex: /(password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|client[_-]?secret|private[_-]?key|credentials?)[A-Za-z0-9_.-]{0,20}["']?[ \t]{0,3}(?::=|=>|[:=])[ \t]{0,3}["']?([^\s"'`,;<>(){}[\]]{6,256})/dgi,
    // Every assignment has a `:` or `=`; prose without either skips this case-insensitive pass.
    literals: [':', '='],
    valueGroup: 2,
    validate: genericSecretValid,
  },

  // ----- financial and network -----
  {
    type: 'CREDIT_CARD',
    specificity: 80,
    regex: /(?<![\d-])\d(?:[ -]{0,3}\d){12,18}(?!\d)/g,
    minDigitRun: 13,
    validate: creditCardValid,
    canonical: digitsOf,
  },
  {
    type: 'IBAN_CODE',
    specificity: 80,
    regex: /\b[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){11,30}/g,
    // Only the check digits are sure to be digits: some countries' account numbers may be all
    // letters (Bahrain: four letters, then fourteen letters or digits).
    minDigitRun: 2,
    trim: ibanCandidate,
    validate: ibanValid,
    canonical: alphanumericsOf,
  },
  {
    type: 'CRYPTO',
    specificity: 80,
    regex: /\b[13][1-9A-HJ-NP-Za-km-z]{25,34}\b/g,
    // Answered by the character gates alone: text without either digit skips the pass.
    literals: ['1', '3'],
    validate: base58CheckValid,
  },
  {
    type: 'CRYPTO',
    specificity: 80,
    regex: /\b(?:bc|tb)1[ac-hj-np-z02-9]{11,71}\b/gi,
    lowerLiterals: ['bc1', 'tb1'],
    validate: bech32Valid,
    canonical: lowerCase,
  },
  {
    type: 'CRYPTO',
    specificity: 80,
    regex: /\b0x[a-fA-F0-9]{40}\b/g,
    literals: ['0x'],
    validate: ethereumAddressValid,
    canonical: lowerCase,
  },
  {
    type: 'IP_ADDRESS',
    specificity: 60,
    regex: /(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\d|\w)/g,
    minDigitRun: 4,
    validate: (_v, _m, ctx, start) => !VERSION_CONTEXT.test(ctx.text.slice(Math.max(0, start - 16), start)),
  },
  {
    type: 'MAC_ADDRESS',
    specificity: 60,
    regex: /(?<![\w:.-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![\w:-]|\.\w)/g,
    literals: [':', '-'],
    shape: /[:-][0-9A-Fa-f]{2}[:-]/,
    validate: (v) => DIGIT.test(v),
    canonical: macCanonical,
  },
  {
    type: 'PHONE_NUMBER',
    specificity: 40,
    // Optional country code, optional bracketed area code, then digits with single separators.
    regex: /(?<![\w+./-])(?:(?:\+|00)\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d[\d .-]{4,20}\d(?![\w-]|\.\d)/g,
    // Every phone number is at least six of the characters phone numbers are made of.
    starts: /(?<![\w+./-])[+(\d](?=[\d .()+-]{5})/g,
    minDigitRun: 7,
    validate: phoneValid,
    canonical: phoneCanonical,
  } satisfies StartedPatternSpec,
  {
    type: 'MAC_ADDRESS',
    specificity: 60,
    regex: /(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])/g,
    shape: hasDottedHexGroup,
    validate: (v) => DIGIT.test(v),
    canonical: macCanonical,
  },
  ...DATE_OF_BIRTH_SHAPES.map(
    ({ regex, plausible }): PatternSpec => ({
      type: 'DATE_OF_BIRTH',
      specificity: 45,
      regex,
      // Every shape holds four digits in one run: a year, or day, month and a two-digit year
      // joined by the separators a digit run continues over.
      minDigitRun: 4,
      validate: (_v, m, ctx) => plausible(m, ctx.currentYear),
      context: BIRTH_CONTEXT,
    }),
  ),

  // ----- national identifiers (those written as digit groups: DIGIT_GROUP_LAYOUTS below) -----
  {
    type: 'UK_NINO',
    specificity: 70,
    regex: /\b[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]\b/g,
    minDigitRun: 6,
    validate: ninoValid,
    canonical: alphanumericsOf,
  },
  {
    type: 'ES_NIF',
    specificity: 75,
    regex: /(?<![\w-])(?:\d{8}|[XYZxyz]-?\d{7})-?[A-Za-z](?![\w-])/g,
    minDigitRun: 7,
    validate: (v) => esNifValid(alphanumericsOf(v)),
    canonical: alphanumericsOf,
  },
];

const BARE = (separator: string): boolean => separator === '';
const ALWAYS = (): boolean => true;

/** The national identifiers written as groups of digits, found by one shared pass (`digit-group-ids.ts`).
 * 9-digit shapes collide (SIN, TFN, bare SSN): the checksum plus a context word decides. */
export const DIGIT_GROUP_LAYOUTS: readonly DigitGroupLayout[] = [
  { type: 'US_SSN', specificity: 70, groups: [3, 2, 4], separators: '- ', validate: ssnValid, context: /\b(?:ssn|ss#|social security|social sec)/, needsContext: BARE },
  { type: 'UK_NHS', specificity: 75, groups: [3, 3, 4], separators: ' -', validate: nhsValid, context: /\b(?:nhs|health service|patient)/, needsContext: (separator) => separator !== ' ' },
  { type: 'DE_TAX_ID', specificity: 75, groups: [2, 3, 3, 3], separators: ' ', validate: deTaxIdValid, context: /(?:steuer|\btax\b|\bidnr|identifikationsnummer|\btin\b)/, needsContext: BARE },
  { type: 'IN_AADHAAR', specificity: 75, groups: [4, 4, 4], separators: ' -', validate: aadhaarValid, context: /(?:aadhaa?r|\buidai|\buid\b)/, needsContext: BARE },
  { type: 'CA_SIN', specificity: 75, groups: [3, 3, 3], separators: ' -', validate: sinValid, context: /(?:\bsin\b|social insurance|\bnas\b|assurance sociale)/, needsContext: ALWAYS },
  { type: 'AU_TFN', specificity: 75, groups: [3, 3, 3], separators: ' -', validate: tfnValid, context: /(?:\btfn\b|tax file)/, needsContext: ALWAYS },
];

/** The built-in recognizers, compiled once at module load and shared by every engine. */
export const BUILTIN_RECOGNIZERS: readonly Recognizer[] = Object.freeze([
  emailRecognizer,
  ipv6Recognizer,
  digitGroupRecognizer(DIGIT_GROUP_LAYOUTS),
  ...BUILTIN_PATTERN_SPECS.map(patternRecognizer),
]);
