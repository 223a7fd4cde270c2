import { z } from 'zod';

/** The documented contact keys (the seed's schema; `email` is the real name of the translated key). */
export const CONTACT_TEXT_FIELDS = [
  'first_name',
  'last_name',
  'email',
  'mobile',
  'mobile1',
  'mobile2',
  'mobile3',
  'phone',
  'phone1',
  'phone2',
  'phone3',
  'company',
  'address',
  'state',
  'country',
  'is_favourite',
  'is_spam',
] as const;

const MAX_FIELD_LENGTH = 1000;

/**
 * Control characters (C0, DEL, C1), bidi overrides and unpaired surrogates have no place in a
 * contact and are how header and log injection start. Letters of every script are welcome.
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const text = z
  .string({ error: 'must be a string' })
  .max(MAX_FIELD_LENGTH, { error: `must be at most ${MAX_FIELD_LENGTH} characters` })
  .refine((v) => !FORBIDDEN_CHARACTERS.test(v), { error: 'must not contain control or bidi-override characters' });

const requiredText = text.refine((v) => v.trim().length > 0, { error: 'is required and must not be empty' });

const contactStatus = z.strictObject(
  {
    id: z.string({ error: 'must be a string of digits' }).regex(/^\d{1,19}$/, { error: 'must be 1 to 19 digits' }),
    display_value: text.optional(),
  },
  { error: 'must be an object {id, display_value}' },
);

const textFields = Object.fromEntries(CONTACT_TEXT_FIELDS.map((name) => [name, text.optional()])) as Record<
  (typeof CONTACT_TEXT_FIELDS)[number],
  z.ZodOptional<typeof text>
>;

export const contactSchema = z.strictObject(
  {
    ...textFields,
    first_name: requiredText,
    mobile: requiredText,
    contact_status: contactStatus.optional(),
  },
  { error: 'must be a JSON object' },
);

export type ContactInput = z.infer<typeof contactSchema>;
