import { CanActivate, Injectable } from '@nestjs/common';
import { notFound } from '../common/problem';
import { AppConfig } from '../config/config';

/**
 * The simulators are mounted always (test mode needs them, docs/test-mode.md), but what serves no
 * test-mode payment exists only while SANDBOX is on: fault injection and request counters (anyone
 * could otherwise break or watch every merchant's test traffic), the webhook inbox and the SMM panel
 * simulators. With SANDBOX off they answer 404 as if not mounted.
 */
@Injectable()
export class SandboxOnGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(): boolean {
    if (!this.config.sandbox) throw notFound('route');
    return true;
  }
}
