import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aadhaarValid,
  alphanumericsOf,
  base58CheckValid,
  bech32Valid,
  creditCardValid,
  deTaxIdValid,
  digitsOf,
  esNifValid,
  ethereumAddressValid,
  ibanValid,
  nhsValid,
  ninoValid,
  plausibleBirthDate,
  sinValid,
  ssnValid,
  tfnValid,
} from '../../../control-plane/src/masking/validators.ts';

// Issuer test numbers, the specifications' worked examples, and values computed to pass.
describe('checksum validators', () => {
  it.each([
    [creditCardValid, '4111111111111111', '4111111111111112'],
    [creditCardValid, '378282246310005', '378282246310006'],
    [ibanValid, 'GB82WEST12345698765432', 'GB82WEST12345698765433'],
    [ibanValid, 'DE89370400440532013000', 'DE8937040044053201300'],
    [aadhaarValid, '234567890124', '234567890123'],
    [nhsValid, '9434765919', '9434765918'],
    [sinValid, '130692544', '130692545'],
    [sinValid, '193456787', '046454286'], // 0… is never issued
    [tfnValid, '123456782', '123456789'],
    [deTaxIdValid, '86095742719', '86095742718'],
    [esNifValid, '12345678Z', '12345678A'],
    [esNifValid, 'X1234567L', 'X1234567A'],
    [ssnValid, '536904399', '666904399'],
    [base58CheckValid, '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3'],
    [bech32Valid, 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5'],
    // EIP-55's own examples; the bad one has one letter's case flipped.
    [ethereumAddressValid, '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD'],
    [ethereumAddressValid, '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359', '0xFb6916095ca1df60bB79Ce92cE3Ea74c37c5d359'],
    [ethereumAddressValid, '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6Fb'],
    [ethereumAddressValid, '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb', '0xd1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb'],
  ] as const)('%o accepts %s and rejects %s', (validate, good, bad) => {
    expect(validate(good)).toBe(true);
    expect(validate(bad)).toBe(false);
  });

  it.each(['078-05-1120', '219-09-9999', '123-45-6789'])('refuses %s, voided after publication or an example', (ssn) => {
    expect(ssnValid(ssn)).toBe(false);
  });

  it('accepts an Ethereum address written in one case, which carries no checksum', () => {
    expect(ethereumAddressValid('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed')).toBe(true);
    expect(ethereumAddressValid('0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED')).toBe(true);
  });
});

// The card, national-ID and IBAN validators read a candidate as written, skipping its separators:
// each must judge it exactly as it judges the candidate's significant characters alone.
describe('validators on values with separators', () => {
  it.each([
    [creditCardValid, '4111 1111 1111 1111'],
    [creditCardValid, '4111-1111-1111-1111'],
    [creditCardValid, '3782 822463 10005'],
    [ssnValid, '536-90-4399'],
    [nhsValid, '943 476 5919'],
    [deTaxIdValid, '86 095 742 719'],
    [aadhaarValid, '2345 6789 0124'],
    [sinValid, '130 692 544'],
    [tfnValid, '123 456 782'],
    [ibanValid, 'GB82 WEST 1234 5698 7654 32'],
    [ibanValid, 'gb82 west 1234 5698 7654 32'],
    [ninoValid, 'ab 12 34 56 c'],
  ])('%o accepts %s', (validate, value) => {
    expect(validate(value)).toBe(true);
  });

  it.each([
    [creditCardValid, ['4111111111111111', '378282246310005', '5555555555554444', '6011111111111117'], /^\d{12,19}$/],
    [ssnValid, ['536904399', '078051120', '123456789', '666904399'], /^\d{9}$/],
    [nhsValid, ['9434765919', '9434765918'], /^\d{10}$/],
    [deTaxIdValid, ['86095742719', '86095742718'], /^\d{11}$/],
    [aadhaarValid, ['234567890124', '234567890123'], /^\d{12}$/],
    [sinValid, ['130692544', '193456787', '046454286'], /^\d{9}$/],
    [tfnValid, ['123456782', '123456789'], /^\d{9}$/],
    [ibanValid, ['GB82WEST12345698765432', 'GB82WEST12345698765433', 'DE89370400440532013000'], /^DE\d{20}$/],
  ] as const)('%o judges a value with spaces and dashes as it judges the value without them', (validate, examples, shape) => {
    const digits = fc.oneof(fc.constantFrom(...examples), fc.stringMatching(shape));
    const written = fc.tuple(digits, fc.array(fc.constantFrom('', ' ', '-', ' - '), { minLength: 34, maxLength: 34 }));
    fc.assert(
      fc.property(written, ([value, separators]) => {
        const text = [...value].map((d, i) => (i > 0 ? separators[i] + d : d)).join('');
        expect(validate(text), text).toBe(validate(value));
      }),
      { numRuns: 1000 },
    );
  });
});

// Calendar arithmetic replaced a `Date` per candidate; these are the cases it can get wrong.
describe('plausible birth dates', () => {
  it.each([
    [2000, 2, 29, true], // divisible by 400: leap
    [1900, 2, 29, false], // divisible by 100 only: not leap
    [1996, 2, 29, true],
    [1997, 2, 29, false],
    [1985, 4, 30, true],
    [1985, 4, 31, false],
    [1985, 12, 31, true],
    [1985, 13, 1, false],
    [1985, 0, 1, false],
    [1985, Number.NaN, 1, false], // an unknown month name
    [1899, 1, 1, false],
    [2027, 1, 1, false], // after the current year
  ])('%i-%i-%i → %s', (year, month, day, plausible) => {
    expect(plausibleBirthDate(year, month, day, 2026)).toBe(plausible);
  });
});

// Candidates' significant characters are read through a reused buffer; the result must never carry
// characters of an earlier, longer candidate, nor lose any of a candidate longer than the buffer.
describe('significant characters of a candidate', () => {
  it('keeps digits, and returns a digits-only candidate as is', () => {
    expect(digitsOf('4111 1111-1111 1111')).toBe('4111111111111111');
    expect(digitsOf('536-90-4399')).toBe('536904399');
    expect(digitsOf('12345')).toBe('12345');
    expect(digitsOf('no digits')).toBe('');
  });

  it('upper-cases letters and drops everything else', () => {
    expect(alphanumericsOf('gb82 west 1234-5698 7654 32')).toBe('GB82WEST12345698765432');
    expect(alphanumericsOf('AB123456C')).toBe('AB123456C');
  });

  it('handles candidates longer than the buffer', () => {
    const long = '1 2 '.repeat(40);
    expect(digitsOf(long)).toBe('12'.repeat(40));
    expect(alphanumericsOf(`${'a-'.repeat(40)}`)).toBe('A'.repeat(40));
  });
});
