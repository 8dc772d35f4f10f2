#!/usr/bin/env node
// The Redis backend reads its Lua scripts from beside its compiled code; tsc copies only .ts.
import { cpSync } from 'node:fs';

const root = new URL('../', import.meta.url);
cpSync(new URL('src/backends/redis/lua/', root), new URL('dist/backends/redis/lua/', root), { recursive: true });
