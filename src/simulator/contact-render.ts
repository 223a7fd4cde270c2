/**
 * JSON text of contacts, in the seed's key order and with its inconsistencies:
 *  - single answers (create/get/update): contact_id and contact_owner are BARE numbers, `number`
 *    and `created_time` are present;
 *  - list answers: contact_id is a STRING, contact_owner an object, no `number`/`created_time`.
 * contact_status is not in the seed's examples; we add it at the end only when the contact has one.
 */
import { CONTACT_STATUSES, OWNER, type StoredContact } from './contact-store';
import { jsonArr, jsonInt, jsonObj, jsonSafeNumber, jsonStr } from './json-text';

const SINGLE_ORDER = [
  'country', 'created_time', 'is_spam', 'address', 'mobile', 'mobile1', 'phone2', 'last_name', 'phone3',
  'is_favourite', 'contact_id', 'phone1', 'number', 'phone', 'mobile3', 'mobile2', 'contact_owner',
  'company', 'state', 'first_name', 'email',
] as const;

const LIST_ORDER = [
  'country', 'is_spam', 'address', 'mobile', 'mobile1', 'phone2', 'last_name', 'phone3', 'is_favourite',
  'contact_id', 'phone1', 'phone', 'mobile3', 'contact_owner', 'mobile2', 'company', 'state', 'first_name', 'email',
] as const;

function statusEntry(c: StoredContact): Array<[string, string]> {
  if (!c.status) return [];
  return [['contact_status', jsonObj([['id', jsonStr(c.status.id)], ['display_value', jsonStr(c.status.display_value)]])]];
}

export function singleContactText(c: StoredContact): string {
  const entries = SINGLE_ORDER.map((key): [string, string] => {
    switch (key) {
      case 'created_time': return [key, jsonSafeNumber(c.createdTime)];
      case 'contact_id': return [key, jsonInt(c.id)];
      case 'number': return [key, jsonArr(c.number.map(jsonStr))];
      case 'contact_owner': return [key, jsonInt(OWNER.singleId)];
      default: return [key, jsonStr(c.fields[key])];
    }
  });
  return jsonObj([...entries, ...statusEntry(c)]);
}

export function listContactText(c: StoredContact): string {
  const owner = jsonObj([['display_value', jsonStr(OWNER.listDisplay)], ['id', jsonStr(OWNER.listId)]]);
  const entries = LIST_ORDER.map((key): [string, string] => {
    switch (key) {
      case 'contact_id': return [key, jsonStr(c.id.toString())];
      case 'contact_owner': return [key, owner];
      default: return [key, jsonStr(c.fields[key])];
    }
  });
  return jsonObj([...entries, ...statusEntry(c)]);
}

const OK = jsonStr('200');
const SUCCESS = jsonStr('SUCCESS');

/** {"code":"200","contacts":{...},"status":"SUCCESS"} */
export function singleAnswer(c: StoredContact): string {
  return jsonObj([['code', OK], ['contacts', singleContactText(c)], ['status', SUCCESS]]);
}

/** {"code":"200","meta":{"total":n},"contacts":[...],"status":"SUCCESS"} */
export function listAnswer(page: StoredContact[], total: number): string {
  return jsonObj([
    ['code', OK],
    ['meta', jsonObj([['total', jsonSafeNumber(total)]])],
    ['contacts', jsonArr(page.map(listContactText))],
    ['status', SUCCESS],
  ]);
}

/** {"code":"200","contacts":"<id>","status":"SUCCESS"} */
export function deleteAnswer(id: bigint): string {
  return jsonObj([['code', OK], ['contacts', jsonStr(id.toString())], ['status', SUCCESS]]);
}

/** {"code":"200","contact_status":[{"display_value":..,"id":".."}],"status":"SUCCESS"} (seed's key order) */
export function statusesAnswer(): string {
  const items = CONTACT_STATUSES.map((s) => jsonObj([['display_value', jsonStr(s.display_value)], ['id', jsonStr(s.id)]]));
  return jsonObj([['code', OK], ['contact_status', jsonArr(items)], ['status', SUCCESS]]);
}
