export * from './builtin.js';
export { executeTrialJob, workerName } from './execute.js';
export { DEFAULT_QUEUE, makeRedisEvaluator, type RedisEvaluatorOptions, type RunningWorker, type RunWorkerOptions, runWorker, trialJobId } from './redis.js';
export { type ConnectRedisOptions, connectRedis, parseRedisUrl, type RedisConnection, type RedisTarget } from './redis-connection.js';
export * from './registry.js';
export { makeThreadPoolEvaluator, type ThreadPoolOptions } from './thread-pool.js';
export * from './types.js';
export { parseWith } from './zod-error.js';
