import { Injectable } from '@nestjs/common';
import { OrdersRepository } from '../orders/orders.repository';

/** Tokens are randomToken(24) (32 base64url characters); anything else cannot exist. */
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** Finds the KHQR behind a public QR image token. */
@Injectable()
export class QrImageService {
  constructor(private readonly orders: OrdersRepository) {}

  /** The payload and its md5 (the ETag's base); null for an unknown token, without a query when it cannot be one. */
  async find(token: string): Promise<{ payload: string; md5: string } | null> {
    if (!TOKEN.test(token)) return null;
    return this.orders.findQrByImageToken(token);
  }
}
