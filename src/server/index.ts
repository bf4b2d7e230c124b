export { default, PluginKeywardServer } from './plugin';
