import { defineConfig } from 'drizzle-kit';

// Generation only needs the schema; migrations are applied by the app itself.
export default defineConfig({
	dialect: 'postgresql',
	schema: './src/lib/server/db/schema.ts',
	out: './drizzle',
	strict: true,
	verbose: true
});
