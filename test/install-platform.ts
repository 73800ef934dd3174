// Tests import the stages' internal modules directly: install Node's platform first, as the package's entries do.
import '../src/platform.js';
