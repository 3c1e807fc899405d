export * from './registry.js';
export * from './builtin.js';
export * from './types.js';
export { executeTrialJob, workerName } from './execute.js';
export { makeThreadPoolEvaluator, type ThreadPoolOptions } from './thread-pool.js';
export { DEFAULT_QUEUE, makeRedisEvaluator, runWorker, trialJobId, type RedisEvaluatorOptions, type RunningWorker, type RunWorkerOptions } from './redis.js';
export { connectRedis, parseRedisUrl, type ConnectRedisOptions, type RedisConnection, type RedisTarget } from './redis-connection.js';
export { parseWith } from './zod-error.js';
