import 'reflect-metadata';
import { createDataSource } from './src/database/data-source';
import { ENTITIES } from './src/entities';

/**
 * The data source the TypeORM CLI uses (`npm run migration:run`). Needs DATABASE_URL; with
 * `npm start` in embedded mode migrations run at boot instead.
 */
if (!process.env.DATABASE_URL) {
  throw new Error('DATABASE_URL is required for the TypeORM CLI (npm start runs migrations itself in embedded mode)');
}
export default createDataSource(process.env.DATABASE_URL, ENTITIES);
