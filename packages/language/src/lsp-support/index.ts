// What the language server (@cajal/language-server) needs from the core beyond the public
// checker API: the generated Langium modules, so it can assemble its own service container
// (Langium's LSP modules + CajalModule) instead of the core-only one.
export { CajalGeneratedModule, CajalGeneratedSharedModule } from '../generated/module.js';
