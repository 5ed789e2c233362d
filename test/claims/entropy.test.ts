import { claimsSuite } from './family-suite.ts';

claimsSuite('entropy');
