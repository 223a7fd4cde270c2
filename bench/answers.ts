/**
 * The answers the bench's static upstream serves, rendered once at start by the simulator's own
 * renderer, so they have the seed's exact shapes and inconsistencies (string ids in the list,
 * bare-number ids and owner in single answers, 64-bit ids above 2^53).
 */
import { ContactStore } from '../src/simulator/contact-store';
import { deleteAnswer, listAnswer, singleAnswer, statusesAnswer } from '../src/simulator/contact-render';

/** A full page: the list call's largest answer (size=50). */
export const PAGE_SIZE = 50;

/**
 * The contact the single get asks for: 19 digits, above 2^53, so its answer carries a bare
 * number a plain JSON.parse would corrupt (the case the normalizer exists for).
 */
export const GET_CONTACT_ID = '9223372036854775807';

/** The seed's own example contact (15 digits, a bare number below 2^53 in single answers). */
export const SEED_EXAMPLE_ID = '315000153768793';

export interface BenchAnswers {
  /** GET /rest/json/zv/contacts?from=0&size=50 */
  list: string;
  /** GET /rest/json/zv/contact_status */
  statuses: string;
  /** GET /rest/json/zv/contacts/{id}, by id. */
  single: Map<string, string>;
  /** POST /rest/json/zv/contacts: the new contact (a 19-digit id, as creates have). */
  create: string;
  /** DELETE /rest/json/zv/contacts/{id} */
  deleteOf(id: string): string;
}

/** The seed's contacts, then creates up to a full page, every field filled like a real contact. */
export function renderBenchAnswers(): BenchAnswers {
  const store = new ContactStore(true);
  const created = Date.UTC(2024, 9, 4);
  for (let i = store.all().length; i < PAGE_SIZE; i++) {
    store.create(
      {
        fields: {
          first_name: `First${i}`,
          last_name: `Last${i}`,
          email: `contact${i}@example.com`,
          mobile: `+1201555${String(1000 + i)}`,
          phone: `+1513549${String(2000 + i)}`,
          company: `Company ${i} Ltd`,
          address: `${i} Main Street`,
          state: 'Ohio',
          country: 'USA',
          is_favourite: i % 3 === 0 ? 'true' : 'false',
          is_spam: 'false',
        },
      },
      created + i,
    );
  }
  const contacts = store.all();
  const single = new Map(contacts.map((c) => [c.id.toString(), singleAnswer(c)]));
  const newest = contacts[contacts.length - 1]!;
  return {
    list: listAnswer(contacts.slice(0, PAGE_SIZE), -1),
    statuses: statusesAnswer(),
    single,
    create: singleAnswer(newest),
    deleteOf: (id) => deleteAnswer(BigInt(id)),
  };
}
