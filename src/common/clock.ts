import { Injectable } from '@nestjs/common';

/** The one source of "now", injectable so services can be tested at any moment in time. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
  nowMs(): number {
    return Date.now();
  }
}
