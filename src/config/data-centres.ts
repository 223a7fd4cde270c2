/**
 * Zoho data centres: where a ZOHO_DC value sends the OAuth grant and the Voice calls.
 * Canada is the odd one out: its accounts server lives on zohocloud.ca.
 */
export const DATA_CENTRES = {
  com: { accounts: 'https://accounts.zoho.com', voice: 'https://voice.zoho.com' },
  eu: { accounts: 'https://accounts.zoho.eu', voice: 'https://voice.zoho.eu' },
  in: { accounts: 'https://accounts.zoho.in', voice: 'https://voice.zoho.in' },
  'com.au': { accounts: 'https://accounts.zoho.com.au', voice: 'https://voice.zoho.com.au' },
  jp: { accounts: 'https://accounts.zoho.jp', voice: 'https://voice.zoho.jp' },
  ca: { accounts: 'https://accounts.zohocloud.ca', voice: 'https://voice.zoho.ca' },
  sa: { accounts: 'https://accounts.zoho.sa', voice: 'https://voice.zoho.sa' },
  uk: { accounts: 'https://accounts.zoho.uk', voice: 'https://voice.zoho.uk' },
  'com.cn': { accounts: 'https://accounts.zoho.com.cn', voice: 'https://voice.zoho.com.cn' },
} as const;

export type DataCentre = keyof typeof DATA_CENTRES;
export const DATA_CENTRE_NAMES = Object.keys(DATA_CENTRES) as [DataCentre, ...DataCentre[]];
