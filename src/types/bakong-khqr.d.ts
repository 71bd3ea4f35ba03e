/**
 * Types for the official `bakong-khqr` SDK (plain JavaScript, no bundled typings), written from
 * its source (node_modules/bakong-khqr/src). Only what we use.
 *
 * Quirks worth knowing:
 * - `IndividualInfo(bakongAccountID, merchantName, merchantCity, optional)`: the README shows a
 *   currency as the second argument; the code takes the currency in `optional.currency`.
 * - A response's `status.code` is 0 on success and 1 on error (the opposite of what it reads like).
 * - Generation stamps `Date.now()` as the creation timestamp (tag 99/00) and refuses an
 *   expiration timestamp (13 digits, ms) in the past; `verify()` refuses an expired dynamic KHQR.
 */
declare module 'bakong-khqr' {
  export interface KhqrOptionalData {
    currency?: number;
    /** Decimal string or number; USD with at most 2 decimals, KHR whole. */
    amount?: string | number;
    billNumber?: string;
    mobileNumber?: string;
    storeLabel?: string;
    terminalLabel?: string;
    purposeOfTransaction?: string;
    accountInformation?: string;
    acquiringBank?: string;
    languagePreference?: string;
    merchantNameAlternateLanguage?: string;
    merchantCityAlternateLanguage?: string;
    upiMerchantAccount?: string;
    /** Milliseconds since the epoch (13 digits); required for a dynamic (amount-bearing) KHQR. */
    expirationTimestamp?: number;
    merchantCategoryCode?: string;
  }

  export class IndividualInfo {
    constructor(bakongAccountID: string, merchantName: string, merchantCity: string, optional?: KhqrOptionalData);
  }

  export class MerchantInfo extends IndividualInfo {
    constructor(bakongAccountID: string, merchantName: string, merchantCity: string, merchantID: string, acquiringBank: string, optional?: KhqrOptionalData);
  }

  export interface KhqrStatus {
    /** 0 = success, 1 = error. */
    code: 0 | 1;
    errorCode: number | null;
    message: string | null;
  }

  export interface KhqrResponse<T> {
    status: KhqrStatus;
    data: T | null;
  }

  export interface DecodedKhqr {
    merchantType: '29' | '30' | null;
    bakongAccountID: string | null;
    accountInformation: string | null;
    merchantID: string | null;
    acquiringBank: string | null;
    billNumber: string | null;
    mobileNumber: string | null;
    storeLabel: string | null;
    terminalLabel: string | null;
    purposeOfTransaction: string | null;
    creationTimestamp: string | null;
    expirationTimestamp: string | null;
    payloadFormatIndicator: string | null;
    pointofInitiationMethod: string | null;
    merchantCategoryCode: string | null;
    /** ISO 4217 numeric: "840" USD, "116" KHR. */
    transactionCurrency: string | null;
    transactionAmount: string | null;
    countryCode: string | null;
    merchantName: string | null;
    merchantCity: string | null;
    crc: string | null;
  }

  export class BakongKHQR {
    generateIndividual(info: IndividualInfo): KhqrResponse<{ qr: string; md5: string }>;
    generateMerchant(info: MerchantInfo): KhqrResponse<{ qr: string; md5: string }>;
    static verify(khqr: string): { isValid: boolean };
    static decode(khqr: string): KhqrResponse<DecodedKhqr>;
  }

  export const khqrData: {
    currency: { usd: 840; khr: 116 };
    merchantType: { merchant: 'merchant'; individual: 'individual' };
  };
}
