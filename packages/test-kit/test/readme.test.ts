import { describeReadme } from '../src/vitest.js';

describeReadme(import.meta.url);
