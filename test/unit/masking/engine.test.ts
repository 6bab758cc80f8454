import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../control-plane/src/errors/index.ts';
import {
  BUILTIN_ENTITY_TYPES,
  createMaskingEngine,
  DEFAULT_MASKING_RULES,
  MaskingLimitError,
  MaskingRulesError,
  TokenKeyError,
  type MaskingRules,
} from '../../../control-plane/src/masking/index.ts';
import { generateCorpus } from '../../fixtures/masking/generate-corpus.ts';

const engine = createMaskingEngine();
const KEY_V1 = { version: 1, key: Buffer.alloc(32, 1) };
const KEY_V2 = { version: 2, key: Buffer.alloc(32, 2) };

function rules(overrides: Partial<MaskingRules>): MaskingRules {
  return { ...DEFAULT_MASKING_RULES, ...overrides };
}

function typesIn(text: string): string[] {
  return engine.scan(text).findings.map((f) => f.type);
}

describe('detection: every built-in type', () => {
  const corpus = generateCorpus(4, 0);

  it.each([...BUILTIN_ENTITY_TYPES])('%s: detected with its span and masked out of the text', (type) => {
    const records = corpus.filter((r) => r.spans[0]!.type === type);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      const expected = record.spans[0]!;
      const value = record.text.slice(expected.start, expected.end);
      const result = engine.scan(record.text);
      const hit = result.findings.find((f) => f.type === type);
      expect(hit, record.text).toBeDefined();
      expect(hit!.start).toBeLessThanOrEqual(expected.start);
      expect(hit!.end).toBeGreaterThanOrEqual(expected.end);
      expect(result.masked).toContain(`<${type}>`);
      expect(result.masked).not.toContain(value);
    }
  });

  it('finds nothing in the hard negatives (UUIDs, orders, ISBNs, timestamps, versions, hashes, base64, Luhn-invalid)', () => {
    for (const record of generateCorpus(0, 280)) expect(engine.scan(record.text).findings, record.text).toEqual([]);
  });

  it.each([
    ['CREDIT_CARD', 'card 4111 1111 1111 1112'], // Luhn fails
    ['CREDIT_CARD', 'card 9111 1111 1111 1111'], // no issuer starts with 9
    ['IBAN_CODE', 'IBAN DE89 3704 0044 0532 0130 01'], // mod-97 fails
    ['IBAN_CODE', 'IBAN DE89 3704 0044 0532 0130 0'], // one character short for DE
    ['US_SSN', 'SSN 666-12-3456'], // area 666 never issued
    ['US_SSN', 'SSN 123-00-4567'], // group 00
    ['US_SSN', 'reference 536904399'], // bare nine digits without context
    ['UK_NINO', 'NI number QQ 12 34 56 C'], // QQ prefix not issued
    ['UK_NHS', 'NHS number 943 476 5918'], // mod 11 fails
    ['DE_TAX_ID', 'Steuer-ID 86095742718'], // check digit wrong
    ['ES_NIF', 'NIF 12345678A'], // control letter wrong (Z)
    ['IN_AADHAAR', 'Aadhaar 2345 6789 0123'], // Verhoeff fails
    ['CA_SIN', 'SIN 130 692 545'], // Luhn fails
    ['CA_SIN', 'order 130 692 544 shipped'], // valid Luhn but no context
    ['AU_TFN', 'TFN 123 456 789'], // mod 11 fails
    ['CRYPTO', 'wallet 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3'], // base58check fails
    ['CRYPTO', 'wallet bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdz'], // bech32 fails
    ['IP_ADDRESS', 'release 256.1.1.1 and version 1.2.3.4'],
    ['IP_ADDRESS', 'meeting at 10:30:45'],
    ['MAC_ADDRESS', 'ratio 12:34 and 56'],
    ['EMAIL_ADDRESS', 'ping @channel about a@b'],
    ['PHONE_NUMBER', 'order 2024-01-15 and ISBN 978-3-16-148410-0'],
    ['URL', 'see https://example.com/docs?page=2'],
    ['DATE_OF_BIRTH', 'the meeting is on 12 March 1985'],
    ['PERSON', 'Hello Team, Dear Customer'],
    ['PRIVATE_KEY', '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----'],
    ['AWS_ACCESS_KEY', 'AKIA is the prefix of access keys'],
    ['AWS_SECRET_KEY', 'secret_access_key = see-the-vault'],
    ['GCP_API_KEY', 'AIza is a prefix'],
    ['AZURE_CONNECTION_STRING', 'set AccountKey= in the config'],
    ['OPENAI_API_KEY', 'we use sk-learn for models'],
    ['ANTHROPIC_API_KEY', 'keys start with sk-ant-'],
    ['GITHUB_TOKEN', 'tokens start with ghp_ and are 40 chars'],
    ['GITLAB_TOKEN', 'glpat- tokens'],
    ['NPM_TOKEN', 'the npm_config_cache variable'],
    ['SLACK_TOKEN', 'xoxb- prefix'],
    ['STRIPE_KEY', 'sk_live_ prefix'],
    ['JWT', 'eyJhbGciOi.eyJzdWIi.'],
    ['BEARER_TOKEN', 'Authorization: Bearer <redacted-by-client>'],
    ['DB_CONNECTION_STRING', 'postgres://db.internal:5432/app'],
    ['GENERIC_SECRET', 'password: changeme and token=abcdefgh'],
  ])('%s: not detected in %j', (type, text) => {
    expect(typesIn(text)).not.toContain(type);
  });
});

describe('evasions', () => {
  it('finds an email with zero-width characters inside and maps offsets to the original', () => {
    const text = 'mail j\u200bohn.doe@exa\u200dmple.com now';
    const [finding] = engine.scan(text).findings;
    expect(finding).toMatchObject({ type: 'EMAIL_ADDRESS', start: 5, end: text.indexOf(' now') });
    expect(engine.scan(text).masked).toBe('mail <EMAIL_ADDRESS> now');
  });

  // Every character here is Latin-1, which V8 stores one byte each like ASCII: the soft hyphen
  // (U+00AD) must still send the text through normalisation.
  it('finds an email split by a soft hyphen in text of Latin-1 characters only', () => {
    const text = 'café: jo\u00adhn.doe@example.com';
    expect(engine.scan(text).masked).toBe('café: <EMAIL_ADDRESS>');
  });

  it('finds a card written in full-width digits', () => {
    const text = 'card ４１１１ １１１１ １１１１ １１１１ ok';
    const result = engine.scan(text);
    expect(result.findings.map((f) => f.type)).toEqual(['CREDIT_CARD']);
    expect(result.masked).toBe('card <CREDIT_CARD> ok');
  });

  it.each(['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '4111 - 1111 - 1111 - 1111'])('finds a card split as %j', (card) => {
    expect(engine.scan(`pay with ${card} today`).masked).toBe('pay with <CREDIT_CARD> today');
  });

  it('leaves the punctuation that ends a sentence or a bracket outside a URL or connection string', () => {
    expect(engine.scan('use postgres://app:Pa55word@db:5432/x). Then').masked).toBe('use <DB_CONNECTION_STRING>). Then');
    expect(engine.scan('(see https://bob:s3cret@example.com/a?b=c!")').masked).toBe('(see <URL>!")');
  });

  it('finds mixed-case emails, IBANs and connection strings', () => {
    expect(typesIn('Mail John.DOE@Example.COM')).toEqual(['EMAIL_ADDRESS']);
    expect(typesIn('iban de89 3704 0044 0532 0130 00')).toEqual(['IBAN_CODE']);
    // No digits but the check digits: a prefilter asking for a longer digit run let this through.
    expect(typesIn('Pay to BH31 BMAG ABCD EFGH IJKL MN today')).toEqual(['IBAN_CODE']);
    expect(typesIn('POSTGRES://app:Pa55word@db:5432/x')).toEqual(['DB_CONNECTION_STRING']);
  });

  // Keywords and context words are matched case-insensitively in the text itself (no lower-cased
  // copy is made), so shouting them must not hide the value.
  it.each([
    ['SOCIAL SECURITY number 536904399', 'US_SSN'],
    ['BORN ON 12 March 1985', 'DATE_OF_BIRTH'],
    ['TAX FILE number 123 456 782', 'AU_TFN'],
    ['PASSWORD=Sup3r$ecretValue', 'GENERIC_SECRET'],
    ['BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 'CRYPTO'],
  ])('finds %j with its keyword in capitals', (text, type) => {
    expect(typesIn(text)).toEqual([type]);
  });

  it('reads French birth context by whole words: "né" before a date counts, "nécessaire" does not', () => {
    expect(typesIn('né le 12/03/1985 à Lyon')).toEqual(['DATE_OF_BIRTH']);
    expect(typesIn('Née le 12/03/1985')).toEqual(['DATE_OF_BIRTH']);
    expect(typesIn('nécessaire avant le 12/03/1985')).toEqual([]);
  });

  it('finds a PEM block with line breaks, also inside the header and without an END line', () => {
    const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n';
    const split = `x -----BEGIN RSA PRIVATE\nKEY-----\n${body}-----END RSA PRIVATE KEY----- y`;
    expect(engine.scan(split).masked).toBe('x <PRIVATE_KEY> y');
    const truncated = `-----BEGIN PRIVATE KEY-----\r\n${body}`;
    expect(engine.scan(truncated).masked.trim()).toBe('<PRIVATE_KEY>');
  });
});

describe('overlaps and actions', () => {
  it('lets the most specific entity name an overlap: a DB URL is not reported as a URL or email', () => {
    expect(typesIn('dsn postgres://u:S3cretPw@db.example.com:5432/app')).toEqual(['DB_CONNECTION_STRING']);
  });

  it('applies the strictest action of an overlap cluster even when a more specific type names it', () => {
    const blocking = createMaskingEngine(rules({ rules: [{ id: 'block-email', entityTypes: ['EMAIL_ADDRESS'], action: 'block' }] }));
    const result = blocking.scan('fetch https://bob:pa55word1@mail.example.com/x');
    expect(result.findings).toMatchObject([{ type: 'URL', action: 'block', ruleId: 'block-email' }]);
    expect(result.outcome).toBe('block');
  });

  it('masks, redacts, allows and tokenizes per rule and reports the outcome', () => {
    const e = createMaskingEngine(
      rules({
        rules: [
          { id: 'mask-all', entityTypes: '*', action: 'mask' },
          { id: 'allow-ip', entityTypes: ['IP_ADDRESS'], action: 'allow' },
          { id: 'redact-ssn', entityTypes: ['US_SSN'], action: 'redact' },
          { id: 'tok-email', entityTypes: ['EMAIL_ADDRESS'], action: 'tokenize' },
        ],
      }),
      { tokenKeys: [KEY_V1] },
    );
    const result = e.scan('from 10.1.2.3 ssn 536-90-4399 mail a@example.com phone +44 20 7946 0958');
    expect(result.masked).toMatch(/^from 10\.1\.2\.3 ssn  mail <EMAIL_ADDRESS_[0-9A-HJKMNP-TV-Z]{13}> phone <PHONE_NUMBER>$/);
    expect(result.findings.map((f) => [f.type, f.action, f.ruleId])).toEqual([
      ['IP_ADDRESS', 'allow', 'allow-ip'],
      ['US_SSN', 'redact', 'redact-ssn'],
      ['EMAIL_ADDRESS', 'tokenize', 'tok-email'],
      ['PHONE_NUMBER', 'mask', 'mask-all'],
    ]);
    expect(result.outcome).toBe('masked');
    expect(result.tokenKeyVersion).toBe(1);
  });

  it('names the deciding rule and type for block and require_approval; block beats require_approval', () => {
    const e = createMaskingEngine(
      rules({
        rules: [
          { id: 'hold-cards', entityTypes: ['CREDIT_CARD'], action: 'require_approval' },
          { id: 'no-keys', entityTypes: ['AWS_ACCESS_KEY'], action: 'block' },
        ],
      }),
    );
    expect(e.scan('card 4111 1111 1111 1111').decision).toEqual({ ruleId: 'hold-cards', entityType: 'CREDIT_CARD' });
    const both = e.scan('card 4111 1111 1111 1111 key AKIAIOSFODNN7EXAMPLE');
    expect(both.outcome).toBe('block');
    expect(both.decision).toEqual({ ruleId: 'no-keys', entityType: 'AWS_ACCESS_KEY' });
  });

  it('passes clean text untouched with outcome pass, and allow-only findings too', () => {
    expect(engine.scan('nothing to see here')).toMatchObject({ masked: 'nothing to see here', findings: [], outcome: 'pass' });
    const allowAll = createMaskingEngine(rules({ rules: [], defaultAction: 'allow' }));
    expect(allowAll.scan('mail a@example.com')).toMatchObject({ masked: 'mail a@example.com', outcome: 'pass' });
  });

  it('scopes rules by model and group; an explicit type rule beats a wildcard rule', () => {
    const e = createMaskingEngine(
      rules({
        rules: [
          { id: 'mask-all', entityTypes: '*', action: 'mask' },
          { id: 'block-email-ada', entityTypes: ['EMAIL_ADDRESS'], action: 'block', models: ['text-embedding-ada-002'] },
          { id: 'allow-email-hr', entityTypes: ['EMAIL_ADDRESS'], action: 'allow', groups: ['hr'] },
        ],
      }),
    );
    const text = 'mail a@example.com';
    expect(e.scan(text).findings[0]).toMatchObject({ action: 'mask', ruleId: 'mask-all' });
    expect(e.scan(text, { model: 'text-embedding-ada-002' }).outcome).toBe('block');
    expect(e.scan(text, { groups: ['hr'] }).findings[0]).toMatchObject({ action: 'allow', ruleId: 'allow-email-hr' });
    expect(e.scan(text, { model: 'text-embedding-ada-002', groups: ['hr'] }).outcome).toBe('block');
  });

  it('uses policy deny lists, custom patterns with context words, and customer name lists', () => {
    const e = createMaskingEngine(
      rules({
        customPatterns: [{ id: 'emp', entityType: 'EMPLOYEE_ID', pattern: 'E-\\d{6}', contextWords: ['employee'] }],
        denyLists: [{ id: 'projects', entityType: 'PROJECT_CODENAME', terms: ['Bluebird', 'Night Owl'] }],
        personNames: ['Zoë Quinn'],
      }),
    );
    expect(e.scan('employee E-123456 works on night owl with zoë quinn').masked).toBe('employee <EMPLOYEE_ID> works on <PROJECT_CODENAME> with <PERSON>');
    expect(e.scan('part E-123456 ships').findings).toEqual([]);
    expect(e.entityTypes.has('EMPLOYEE_ID')).toBe(true);
  });
});

describe('tokenization', () => {
  const tokenizing = (keys = [KEY_V1]) =>
    createMaskingEngine(rules({ rules: [{ id: 'tok', entityTypes: '*', action: 'tokenize' }] }), { tokenKeys: keys });

  it('gives the same entity the same token, across spellings of its canonical value', () => {
    const e = tokenizing();
    const a = e.scan('Mail John@Example.com').masked;
    const b = e.scan('mail john@example.com').masked.replace('mail', 'Mail');
    expect(a).toBe(b);
    expect(e.scan('card 4111111111111111').masked).toBe(e.scan('card 4111 1111 1111 1111').masked);
    expect(e.scan('mail jane@example.com').masked).not.toBe(e.scan('mail john@example.com').masked);
  });

  it('makes different tokens for the same value under different types or keys, and uses the newest key', () => {
    const v1 = tokenizing([KEY_V1]).scan('mail john@example.com');
    const rotated = tokenizing([KEY_V1, KEY_V2]).scan('mail john@example.com');
    expect(rotated.tokenKeyVersion).toBe(2);
    expect(rotated.masked).not.toBe(v1.masked);
    expect(tokenizing([KEY_V2]).scan('mail john@example.com').masked).toBe(rotated.masked);
  });

  it('refuses to build a tokenizing engine without a key, and rejects short keys', () => {
    expect(() => tokenizing([])).toThrow(TokenKeyError);
    expect(() => tokenizing([{ version: 1, key: Buffer.alloc(8) }])).toThrow(TokenKeyError);
  });
});

describe('limits fail closed', () => {
  it('refuses input over the size cap with a masking_budget_exceeded GatewayError', () => {
    const small = createMaskingEngine(rules({ limits: { maxInputChars: 10, timeBudgetMs: 1000 } }));
    expect(() => small.scan('x'.repeat(11))).toThrow(MaskingLimitError);
    try {
      small.scanMany(['12345', '678901']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as MaskingLimitError).code).toBe('masking_budget_exceeded');
      expect((err as MaskingLimitError).reason).toBe('input_too_large');
    }
  });

  it('refuses when the time budget runs out (fake clock)', () => {
    let now = 0;
    const slowClock = () => (now += 150);
    const e = createMaskingEngine(rules({ limits: { maxInputChars: 1000, timeBudgetMs: 100 } }), { now: slowClock });
    expect(() => e.scan('mail a@example.com and 4111 1111 1111 1111')).toThrow(
      expect.objectContaining({ reason: 'time_budget_exceeded', code: 'masking_budget_exceeded' }),
    );
  });

  // Each reading of the clock costs about as much as a small recognizer: a short text is timed
  // once, when all recognizers are done; a long one after each, so a slow scan stops early.
  it('reads the clock once for a short text and after every recognizer for a long one', () => {
    let readings = 0;
    const countingClock = () => ++readings;
    const e = createMaskingEngine(rules({ limits: { maxInputChars: 100_000, timeBudgetMs: 1000 } }), { now: countingClock });
    const text = 'mail a@example.com and 4111 1111 1111 1111 ';
    e.scan(text);
    expect(readings).toBe(2);
    readings = 0;
    e.scan(text.repeat(400));
    expect(readings).toBeGreaterThan(5);
  });
});

describe('rules', () => {
  it('rejects invalid rules listing every problem, and unsafe custom regexes', () => {
    const bad = rules({
      rules: [
        { id: 'a', entityTypes: ['lower'], action: 'mask' },
        { id: 'a', entityTypes: '*', action: 'explode' as 'mask' },
      ],
      customPatterns: [{ id: 'c', entityType: 'X_ID', pattern: '(a+)+$' }],
    });
    try {
      createMaskingEngine(bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MaskingRulesError);
      expect((err as MaskingRulesError).problems.map((p) => p.path)).toEqual([
        'rules[0].entityTypes[0]',
        'rules[1].id',
        'rules[1].action',
        'customPatterns[0].pattern',
      ]);
    }
  });

  it('freezes the rules it runs', () => {
    expect(Object.isFrozen(engine.rules)).toBe(true);
    expect(Object.isFrozen(engine.rules.rules[0])).toBe(true);
    expect(Object.isFrozen(DEFAULT_MASKING_RULES.limits)).toBe(true);
  });
});

describe('IP addresses', () => {
  it.each([
    ['fe80::1ff:fe23:4567:890a', 'link-local'],
    ['2001:db8:85a3:0:0:8a2e:370:7334', 'eight groups'],
    ['::ffff:192.0.2.128', 'IPv4-mapped'],
    ['fe80::1%eth0', 'zone id'],
  ])('finds the IPv6 address %s (%s) and nothing else', (address) => {
    expect(engine.scan(`peer ${address}. done`).masked).toBe('peer <IP_ADDRESS>. done');
  });

  it('does not take clock times, MAC addresses or ratios for IPv6', () => {
    expect(typesIn('at 10:30:45 the mac 00:1a:2b:3c:4d:5e and ratio 3:2:1')).toEqual(['MAC_ADDRESS']);
  });
});

describe('phone numbers', () => {
  it.each(['+1 (415) 555-0132', '(415) 555-0132', '415.555.0132', '+44 (0)20 7946 0958', '+49 30 12345678', '0044 20 7946 0958', '01 23 45 67 89'])(
    'finds %s as one phone number',
    (phone) => {
      expect(engine.scan(`call ${phone} now`).masked).toBe('call <PHONE_NUMBER> now');
    },
  );

  it('does not take dates, times, ISBNs or bare reference numbers for phones', () => {
    expect(typesIn('on 2024-01-15 at 10:30, ISBN 978-0-306-40615-7, ref 0021878692, build 1.2.3')).toEqual([]);
  });
});
