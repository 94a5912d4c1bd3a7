// The InfluxDB write endpoint's plain parts (no Node-RED): see src/influxdb-write-in.ts for the wiring.
export { WriteRefusal, unauthorized, type InfluxErrorBody } from './errors';
export { parseWriteQuery, type WriteApi, type WriteTarget, type Precision } from './query';
export { parseTokens, presentedToken, tokenAccepted } from './auth';
export { bodyEncoding, checkDeclaredLength, readRaw, decodeBody } from './body';
export { rewriteTimestamps } from './timestamps';
export { pingHeaders, healthBody } from './health';
export { normalisePrefix, routesFor, DEFAULT_MAX_BODY_BYTES, parseMaxBodyBytes } from './routes';
export { installCapture, capturePath, capturedBody, type ExpressLikeApp } from './capture';
