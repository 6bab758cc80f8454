import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { keccak_256 } from '@noble/hashes/sha3';

/**
 * Checksum and range validators. They run on regex candidates only, never on whole inputs. The
 * digit validators (cards and national identifiers) read the candidate as written, skipping its
 * separators; the others take its significant characters (upper-cased alphanumerics).
 */

// Regexes used inside validators live here, not as literals in the functions: every evaluation of
// a literal allocates a new RegExp, and validators run on every candidate of every request.
const NON_DIGITS = /\D+/g;
const NON_ALPHANUMERICS = /[^A-Za-z0-9]+/g;

// Candidates are short (their regexes bound them to a few dozen characters), so their significant
// characters are gathered in one reused buffer and read back as one string: a global `replace`
// allocates about five times as much per call (measured: 158 against 33 bytes), on every
// candidate of every request.
// Its own memory (not a slice of the shared pool `allocUnsafe` draws from).
const SIGNIFICANT = Buffer.alloc(64);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

// The digit values of the candidate being checked. Reading them here instead of building a digit
// string saves about 130 ns a candidate; validators are synchronous, so one array serves them all.
const DIGIT_VALUES = new Uint8Array(64);

/** Reads the digits of `text` (other characters skipped) into `DIGIT_VALUES`; returns how many, or
 * -1 when there are more than it holds (no identifier is that long). */
function readDigits(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) continue;
    if (n === DIGIT_VALUES.length) return -1;
    DIGIT_VALUES[n++] = c - 48;
  }
  return n;
}

/** Whether the first `n` read digits are all the same (000000000): test and filler values. */
function readDigitsAllSame(n: number): boolean {
  for (let i = 1; i < n; i++) if (DIGIT_VALUES[i] !== DIGIT_VALUES[0]) return false;
  return n > 0;
}

/** The number the read digits `[from, to)` write. */
function readDigitsValue(from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + DIGIT_VALUES[i]!;
  return value;
}

/** Keeps the ASCII digits of a candidate; a candidate that is digits only is returned as is, with no copy. */
export function digitsOf(text: string): string {
  if (text.length > SIGNIFICANT.length) return text.replace(NON_DIGITS, '');
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) SIGNIFICANT[n++] = c;
  }
  return n === text.length ? text : SIGNIFICANT.toString('latin1', 0, n);
}

/** How many ASCII digits a candidate holds (without building the digit string). */
export function digitCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) if (isDigit(text.charCodeAt(i))) count++;
  return count;
}

/** Keeps ASCII letters and digits, upper-cased. */
export function alphanumericsOf(text: string): string {
  if (text.length > SIGNIFICANT.length) return text.replace(NON_ALPHANUMERICS, '').toUpperCase();
  let n = 0;
  let changed = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c) || (c >= 65 && c <= 90)) SIGNIFICANT[n++] = c;
    else if (c >= 97 && c <= 122) SIGNIFICANT[n++] = c - 32;
    else continue;
    changed ||= c >= 97;
  }
  return !changed && n === text.length ? text : SIGNIFICANT.toString('latin1', 0, n);
}

/** Luhn mod 10 (ISO/IEC 7812-1 annex B) over the first `n` read digits: credit cards and Canadian SINs. */
function readDigitsLuhnValid(n: number): boolean {
  let sum = 0;
  for (let i = n - 1, double = false; i >= 0; i--, double = !double) {
    let d = DIGIT_VALUES[i]!;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return n > 0 && sum % 10 === 0;
}

/** Issuer prefixes of the card networks we recognise (ISO/IEC 7812 IIN ranges) with their lengths,
 * for the first `n` read digits. */
function readDigitsCardIssuerValid(n: number): boolean {
  if (n < 13) return false;
  const p2 = readDigitsValue(0, 2);
  const p4 = readDigitsValue(0, 4);
  if (DIGIT_VALUES[0] === 4) return n === 13 || n === 16 || n === 19; // Visa
  if (p2 >= 51 && p2 <= 55) return n === 16; // Mastercard
  if (p4 >= 2221 && p4 <= 2720) return n === 16; // Mastercard 2-series
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || p2 === 65 || (p4 >= 6440 && p4 <= 6499)) return n >= 16 && n <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19; // JCB
  if (p2 === 36 || p2 === 38 || p2 === 39 || (p4 >= 3000 && p4 <= 3059)) return n >= 14 && n <= 19; // Diners
  if (p2 === 62) return n >= 16 && n <= 19; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 13 && n <= 19; // Maestro (12-digit cards are too rare to risk order numbers)
  return false;
}

/** Payment card, as written (spaces and dashes are skipped): issuer prefix and length, then Luhn. */
export function creditCardValid(text: string): boolean {
  const n = readDigits(text);
  return readDigitsCardIssuerValid(n) && readDigitsLuhnValid(n) && !readDigitsAllSame(n);
}

/** IBAN lengths per country (ISO 13616 registry, SWIFT release 2024). */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27,
  MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20, YE: 30,
});

/** The IBAN length of the country whose code is `first` `second` (char codes, either case); 0 if none. */
export function ibanLengthOf(first: number, second: number): number {
  const a = (first | 0x20) - 97;
  const b = (second | 0x20) - 97;
  return a >= 0 && a < 26 && b >= 0 && b < 26 ? IBAN_LENGTH_BY_CODE[a * 26 + b]! : 0;
}

const IBAN_LENGTH_BY_CODE = new Uint8Array(26 * 26);
for (const [code, length] of Object.entries(IBAN_LENGTHS)) IBAN_LENGTH_BY_CODE[(code.charCodeAt(0) - 65) * 26 + code.charCodeAt(1) - 65] = length;

/** The value of a letter or digit in an IBAN's check (digits 0..9, letters in either case 10..35); -1 otherwise. */
function ibanCharValue(c: number): number {
  if (isDigit(c)) return c - 48;
  const letter = (c | 0x20) - 97;
  return letter >= 0 && letter < 26 ? letter + 10 : -1;
}

/**
 * ISO 7064 mod 97-10 over an IBAN as written (ISO 13616-1 §7): spaces and dashes are skipped,
 * letters in either case become 10..35, and the result must be 1. The first four characters move
 * to the end (the rearrangement): their values are kept aside and carried in last, so the text is
 * read once, in place (three readings took 280 ns a candidate).
 */
export function ibanValid(text: string): boolean {
  let n = 0;
  let first = 0;
  let second = 0;
  const head = [0, 0, 0, 0];
  let remainder = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 45) continue;
    const value = ibanCharValue(c);
    if (value < 0) return false;
    if (n === 0) first = c;
    else if (n === 1) second = c;
    if (n < 4) head[n] = value;
    else remainder = carryMod97(remainder, value);
    n++;
  }
  if (ibanLengthOf(first, second) !== n) return false;
  for (const value of head) remainder = carryMod97(remainder, value);
  return remainder === 1;
}

/** `remainder` with `value`'s decimal digits (one or two) appended, mod 97. */
function carryMod97(remainder: number, value: number): number {
  return (remainder * (value > 9 ? 100 : 10) + value) % 97;
}

const VERHOEFF_D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Verhoeff checksum (dihedral group D5) over the first `n` read digits: Indian Aadhaar numbers. */
function readDigitsVerhoeffValid(n: number): boolean {
  let c = 0;
  for (let i = 0; i < n; i++) c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![DIGIT_VALUES[n - 1 - i]!]!]!;
  return c === 0;
}

/** Aadhaar: 12 digits, first not 0 or 1, Verhoeff check digit (UIDAI). */
export function aadhaarValid(text: string): boolean {
  const n = readDigits(text);
  return n === 12 && DIGIT_VALUES[0]! > 1 && readDigitsVerhoeffValid(n) && !readDigitsAllSame(n);
}

/** UK NHS number: 10 digits, weights 10..2, check digit 11 - (sum mod 11), 10 is invalid. */
export function nhsValid(text: string): boolean {
  const n = readDigits(text);
  if (n !== 10 || readDigitsAllSame(n)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += DIGIT_VALUES[i]! * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  return check !== 10 && check === DIGIT_VALUES[9];
}

const TFN_WEIGHTS = [1, 4, 3, 7, 5, 8, 6, 9, 10];

/** Australian TFN: 9 digits, weights 1,4,3,7,5,8,6,9,10, weighted sum divisible by 11 (ATO). */
export function tfnValid(text: string): boolean {
  const n = readDigits(text);
  if (n !== 9 || readDigitsAllSame(n)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += DIGIT_VALUES[i]! * TFN_WEIGHTS[i]!;
  return sum % 11 === 0;
}

/** Canadian SIN: 9 digits, Luhn; first digit 0 and 8 are not issued. */
export function sinValid(text: string): boolean {
  const n = readDigits(text);
  return n === 9 && DIGIT_VALUES[0] !== 0 && DIGIT_VALUES[0] !== 8 && readDigitsLuhnValid(n) && !readDigitsAllSame(n);
}

/**
 * German Steuer-Identifikationsnummer: 11 digits, no leading 0, in the first ten one digit repeats
 * (twice or three times) and at least one never appears; check digit by ISO 7064 MOD 11,10.
 */
export function deTaxIdValid(text: string): boolean {
  if (readDigits(text) !== 11 || DIGIT_VALUES[0] === 0) return false;
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 10; i++) counts[DIGIT_VALUES[i]!]!++;
  const repeated = counts.filter((c) => c > 1);
  if (repeated.length !== 1 || repeated[0]! > 3) return false;
  let product = 10;
  for (let i = 0; i < 10; i++) {
    let sum = (DIGIT_VALUES[i]! + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  let check = 11 - product;
  if (check === 10) check = 0;
  return check === DIGIT_VALUES[10];
}

const NIF_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
const NIF_SHAPE = /^\d{8}[A-Z]$/;

/** Spanish DNI/NIE: eight digits (NIE: X/Y/Z = 0/1/2 then seven) and the mod-23 control letter. */
export function esNifValid(value: string): boolean {
  let v = value;
  const first = v[0];
  if (first === 'X' || first === 'Y' || first === 'Z') v = String('XYZ'.indexOf(first)) + v.slice(1);
  if (!NIF_SHAPE.test(v)) return false;
  return NIF_LETTERS[Number(v.slice(0, 8)) % 23] === v[8];
}

const SSN_PUBLISHED: ReadonlySet<number> = new Set([78_051_120, 219_099_999, 123_456_789]);

/**
 * US SSN ranges (SSA): area not 000, 666 or 900-999; group not 00; serial not 0000; and not the
 * numbers the SSA voided after they were published (078-05-1120, 219-09-9999) nor 123-45-6789.
 */
export function ssnValid(text: string): boolean {
  const n = readDigits(text);
  if (n !== 9) return false;
  const area = readDigitsValue(0, 3);
  if (area === 0 || area === 666 || area >= 900) return false;
  if (readDigitsValue(3, 5) === 0 || readDigitsValue(5, 9) === 0) return false;
  return !SSN_PUBLISHED.has(readDigitsValue(0, 9)) && !readDigitsAllSame(n);
}

const NINO_LETTERS_NEVER_USED = /[DFIQUV]/;
const NINO_PREFIXES_NEVER_ISSUED: ReadonlySet<string> = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);

/** UK National Insurance number prefixes never issued (HMRC NIM39110), on the number as written
 * (its prefix in either case). */
export function ninoValid(value: string): boolean {
  const prefix = value.slice(0, 2).toUpperCase();
  if (NINO_LETTERS_NEVER_USED.test(prefix) || prefix[1] === 'O') return false;
  return !NINO_PREFIXES_NEVER_ISSUED.has(prefix);
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Base58Check (Bitcoin): the last four bytes are the first four of SHA-256d of the rest. */
export function base58CheckValid(value: string): boolean {
  let n = 0n;
  for (const ch of value) {
    const d = BASE58.indexOf(ch);
    if (d < 0) return false;
    n = n * 58n + BigInt(d);
  }
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let leadingZeros = 0;
  while (value[leadingZeros] === '1') leadingZeros++;
  const bytes = Buffer.concat([Buffer.alloc(leadingZeros), Buffer.from(n === 0n ? '' : hex, 'hex')]);
  if (bytes.length !== 25) return false;
  const body = bytes.subarray(0, 21);
  const sha = createHash('sha256').update(createHash('sha256').update(body).digest()).digest();
  return sha.subarray(0, 4).equals(bytes.subarray(21));
}

/** The EIP-55 spelling of a 40-hex-digit Ethereum address: letter i upper-cased when nibble i of
 * Keccak-256 of the lower-case hex is 8 or more. */
function eip55Checksummed(hex40: string): string {
  const lower = hex40.toLowerCase();
  const hash = keccak_256(lower);
  let out = '';
  for (let i = 0; i < lower.length; i++) {
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? (lower[i] as string).toUpperCase() : lower[i];
  }
  return out;
}

/**
 * An Ethereum address (`0x` + 40 hex digits): all one case carries no checksum and is accepted;
 * mixed case must be the EIP-55 checksum spelling, so random mixed-case hex is not an address.
 */
export function ethereumAddressValid(address: string): boolean {
  const hex = address.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return true;
  return eip55Checksummed(hex) === hex;
}

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GEN[i]!;
  }
  return chk >>> 0;
}

/** Bech32 (BIP 173) or Bech32m (BIP 350) segwit address checksum; single-case only. */
export function bech32Valid(address: string): boolean {
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) return false;
  const a = address.toLowerCase();
  const sep = a.lastIndexOf('1');
  if (sep < 1 || sep + 7 > a.length || a.length > 90) return false;
  const hrp = a.slice(0, sep);
  const data: number[] = [];
  for (const ch of a.slice(sep + 1)) {
    const d = BECH32_CHARSET.indexOf(ch);
    if (d < 0) return false;
    data.push(d);
  }
  const expanded: number[] = [];
  for (const ch of hrp) expanded.push(ch.charCodeAt(0) >> 5);
  expanded.push(0);
  for (const ch of hrp) expanded.push(ch.charCodeAt(0) & 31);
  const mod = bech32Polymod([...expanded, ...data]);
  return mod === 1 || mod === 0x2bc830a3;
}

const TWO_HEX_DIGITS = /[0-9a-fA-F]{2}/;

/** An IPv6 address written with `::` or all eight groups (so MAC addresses and clock times are not taken for one). */
export function ipv6Valid(candidate: string): boolean {
  let colons = 0;
  for (let i = 0; i < candidate.length; i++) if (candidate.charCodeAt(i) === 58) colons++;
  return (candidate.includes('::') || colons === 7) && TWO_HEX_DIGITS.test(candidate) && isIPv6(candidate);
}

/** Shannon entropy in bits per character; generic secrets must look random enough. */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / value.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** A calendar date that exists, with a year a living person could be born in. */
export function plausibleBirthDate(year: number, month: number, day: number, currentYear: number): boolean {
  if (year < 1900 || year > currentYear || !(month >= 1 && month <= 12) || day < 1) return false;
  return day <= daysInMonth(year, month);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Gregorian calendar, by arithmetic: a `Date` per candidate would be garbage on every request. */
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** JWT header: base64url JSON naming an `alg` (RFC 7519 §5, RFC 7515 §4.1.1). */
export function jwtHeaderValid(token: string): boolean {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && 'alg' in parsed;
  } catch {
    return false;
  }
}
