/**
 * In-memory contacts. Ids are bigint (keyed by their decimal text) and never become JS numbers.
 */

/** Every string-valued key of a Voice contact, using the real API's `email` (the seed says 'メール'). */
export const STRING_KEYS = [
  'first_name', 'last_name', 'email', 'mobile', 'mobile1', 'mobile2', 'mobile3',
  'phone', 'phone1', 'phone2', 'phone3', 'company', 'address', 'state', 'country',
  'is_favourite', 'is_spam',
] as const;
export type StringKey = (typeof STRING_KEYS)[number];
export type ContactFields = Record<StringKey, string>;

export interface ContactStatus {
  id: string;
  display_value: string;
}

/** The seed's status ids, with the English display values the Japanese page translated. */
export const CONTACT_STATUSES: readonly ContactStatus[] = [
  { id: '1000000000027', display_value: 'Active' },
  { id: '1000000000029', display_value: 'Inactive' },
  { id: '1000000000031', display_value: 'VIP' },
];

/** One owner, shown two ways: a bare number in single answers, an object in lists (as in the seed). */
export const OWNER = { singleId: 415005010526109n, listId: '347000000003015', listDisplay: 'Vignesh' } as const;

/** Ids of contacts created through the API count up from here (19 digits, far above 2^53). */
export const FIRST_CREATED_ID = 4000000000000000001n;

export interface StoredContact {
  id: bigint;
  createdTime: number;
  fields: ContactFields;
  /** Only single-contact answers show `number`. */
  number: string[];
  status?: ContactStatus;
}

export interface ContactInput {
  fields: Partial<ContactFields>;
  status?: ContactStatus;
}

interface SeedContact {
  id: string;
  createdTime: number;
  fields: Partial<ContactFields>;
  number?: string[];
  status?: ContactStatus;
}

/**
 * Seed data: the page's two list contacts and its single "test" contact, then ids that a plain
 * JSON.parse corrupts. 9007199254740992 (= 2^53) sits next to 9007199254740993 on purpose: a
 * client that rounds ...993 through a double lands on a contact that EXISTS, not on a 404.
 */
const SEED: readonly SeedContact[] = [
  { id: '347000014281004', createdTime: 1728037700001, fields: { first_name: 'Andrej', last_name: '8Foller', mobile: '+15135493562', phone: '+15135495601' } },
  { id: '347000014281005', createdTime: 1728037700002, fields: { first_name: 'Art', last_name: '91Venere', mobile: '+18562644130', phone: '+18566368749' } },
  // The seed's create/get/update example, including its `number` that differs from `mobile`.
  { id: '315000153768793', createdTime: 1728037831825, fields: { first_name: 'test', mobile: '+12015550123' }, number: ['+12015550126'] },
  { id: '9007199254740992', createdTime: 1728037900001, fields: { first_name: 'Exactly', last_name: 'TwoToThe53', mobile: '+12015550140' } },
  { id: '9007199254740993', createdTime: 1728037900002, fields: { first_name: 'Beyond', last_name: 'TwoToThe53', mobile: '+12015550141', email: 'beyond@example.com' } },
  { id: '1152921504606846977', createdTime: 1728037900003, fields: { first_name: 'Sixty', last_name: 'Bits', mobile: '+12015550142' } },
  { id: '1234567890123456789', createdTime: 1728037900004, fields: { first_name: 'Nineteen', last_name: 'Digits', mobile: '+12015550143', company: 'Big Ids Inc', is_favourite: 'true' }, status: CONTACT_STATUSES[2] },
  { id: '9223372036854775807', createdTime: 1728037900005, fields: { first_name: 'Max', last_name: 'Müller', mobile: '+12015550144', company: 'Zoho 株式会社', country: 'Japan' }, status: CONTACT_STATUSES[0] },
];

export const SEEDED_CONTACT_IDS: readonly string[] = SEED.map((s) => s.id);

function fullFields(partial: Partial<ContactFields>): ContactFields {
  const out = {} as ContactFields;
  for (const k of STRING_KEYS) out[k] = partial[k] ?? '';
  return out;
}

/** Zoho's `number` is every distinct non-empty phone/mobile of the contact (our reading of it). */
function numbersOf(f: ContactFields): string[] {
  const all = [f.mobile, f.mobile1, f.mobile2, f.mobile3, f.phone, f.phone1, f.phone2, f.phone3];
  return [...new Set(all.filter((n) => n !== ''))];
}

export class ContactStore {
  // Map keeps insertion order, which is the list order (seed first, then creates).
  private contacts = new Map<string, StoredContact>();
  private nextId = FIRST_CREATED_ID;
  private created: string[] = [];

  constructor(private readonly seed: boolean) {
    this.reset();
  }

  reset(): void {
    this.contacts = new Map();
    this.nextId = FIRST_CREATED_ID;
    this.created = [];
    if (!this.seed) return;
    for (const s of SEED) {
      const fields = fullFields(s.fields);
      this.contacts.set(s.id, {
        id: BigInt(s.id),
        createdTime: s.createdTime,
        fields,
        number: s.number ? [...s.number] : numbersOf(fields),
        status: s.status ? { ...s.status } : undefined,
      });
    }
  }

  all(): StoredContact[] {
    return [...this.contacts.values()];
  }

  get(id: bigint): StoredContact | undefined {
    return this.contacts.get(id.toString());
  }

  create(input: ContactInput, now = Date.now()): StoredContact {
    const id = this.nextId++;
    const fields = fullFields(input.fields);
    const contact: StoredContact = { id, createdTime: now, fields, number: numbersOf(fields), status: input.status };
    this.contacts.set(id.toString(), contact);
    this.created.push(id.toString());
    return contact;
  }

  /** Keys present in the input overwrite; absent keys keep their value (a partial update). */
  update(id: bigint, input: ContactInput): StoredContact | undefined {
    const c = this.get(id);
    if (!c) return undefined;
    c.fields = { ...c.fields, ...input.fields };
    c.number = numbersOf(c.fields);
    if (input.status) c.status = input.status;
    return c;
  }

  delete(id: bigint): boolean {
    return this.contacts.delete(id.toString());
  }

  /** Ids created through POST since the last reset, including ones since deleted. */
  createdIds(): string[] {
    return [...this.created];
  }
}
