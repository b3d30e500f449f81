// Imported by name without a devDependency: test-kit depends on core, and a dependency back
// would make a cycle in the package graph.
import { describeReadme } from '@lattice/test-kit/vitest';

// Runs every README example against the sources and compares what it prints with the README.
describeReadme(import.meta.url);
