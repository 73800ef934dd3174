// Optional peer dependency, absent on most installs: its types must not be needed to build.
declare module '@tensorflow/tfjs-node';
