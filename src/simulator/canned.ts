/** Fixed answers used by faults: what a client sees when something in front of Zoho misbehaves. */
import { RATE_LIMIT_BODY, tokenError } from './accounts';
import { SIM_ERRORS } from './errors';
import { htmlResponse, jsonResponse, zohoError, type SimResponse } from './http-util';

/** Where the token 'redirect' fault points; relative, so a client that follows it stays on the simulator. */
export const SIGNIN_PATH = '/accounts/signin';

export const LOGIN_PAGE_HTML =
  '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>Zoho Accounts</title></head>' +
  '<body><div id="signin_flow"><h2>Sign in</h2><p>to access Zoho Voice</p>' +
  '<form name="login" action="/signin/v2/lookup" method="post"><input id="login_id" name="LOGIN_ID" type="email" placeholder="Email address or mobile number">' +
  '<button id="nextbtn" type="submit">Next</button></form></div></body></html>';

function gatewayPage(status: number, title: string): SimResponse {
  return htmlResponse(status, `<html><head><title>${status} ${title}</title></head><body><center><h1>${status} ${title}</h1></center><hr><center>ZGS</center></body></html>`);
}

export const TOKEN_FAULT_RESPONSES = {
  invalid_client: (): SimResponse => tokenError('invalid_client'),
  invalid_code: (): SimResponse => tokenError('invalid_code'),
  rate_limit: (): SimResponse => jsonResponse(200, RATE_LIMIT_BODY),
  rate_limit_400: (): SimResponse => jsonResponse(400, RATE_LIMIT_BODY),
  http_500: (): SimResponse => gatewayPage(500, 'Internal Server Error'),
  redirect: (): SimResponse => ({
    status: 302,
    headers: { location: `${SIGNIN_PATH}?servicename=AaaServer&serviceurl=%2Foauth%2Fv2%2Ftoken`, 'content-type': 'text/html;charset=UTF-8' },
    body: '',
  }),
} as const;

export const CONTACTS_FAULT_RESPONSES = {
  http_500: (): SimResponse => zohoError(SIM_ERRORS.internal.status, SIM_ERRORS.internal.code, SIM_ERRORS.internal.message),
  http_502: (): SimResponse => gatewayPage(502, 'Bad Gateway'),
  http_503: (): SimResponse => gatewayPage(503, 'Service Temporarily Unavailable'),
  http_429: (): SimResponse => zohoError(SIM_ERRORS.tooManyRequests.status, SIM_ERRORS.tooManyRequests.code, SIM_ERRORS.tooManyRequests.message, { 'retry-after': '1' }),
  html_login: (): SimResponse => htmlResponse(200, LOGIN_PAGE_HTML),
  invalid_oauthtoken: (): SimResponse => zohoError(401, SIM_ERRORS.invalidOauthToken.code, SIM_ERRORS.invalidOauthToken.message),
} as const;
