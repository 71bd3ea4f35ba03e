import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What the readiness probe asks PostgreSQL: that it answers, and which migrations it has applied. */
@Injectable()
export class DatabaseProbe {
  constructor(private readonly db: DataSource) {}

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  /** The names TypeORM recorded in its `migrations` table. */
  async appliedMigrations(): Promise<string[]> {
    const rows: { name: string }[] = await this.db.query('SELECT name FROM migrations');
    return rows.map((r) => r.name);
  }
}
