import { describeReadme } from '@lattice/test-kit/vitest';

// Runs every README example against the sources and compares what it prints with the README.
describeReadme(import.meta.url);
