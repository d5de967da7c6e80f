export type { IoRedisClient, NodeRedisClient, RedisClientLike } from './client.js'
export { type RedisReplayStoreOptions, redisReplayStore } from './redis-replay-store.js'
