/** Kafka's rules for topic names, checked before any round trip so that a bad name fails with one clear line. */
import { StreamlabError } from '../errors';

const LEGAL = /^[A-Za-z0-9._-]{1,249}$/;

/** Throws unless `name` is a name Kafka accepts (its own rule: 1-249 of [A-Za-z0-9._-], and not '.' or '..'). */
export function checkTopicName(name: unknown, what = 'topic'): void {
  if (typeof name !== 'string' || name === '') throw new StreamlabError(`a ${what} needs a name`, 'pass the topic name as a string');
  if (!LEGAL.test(name) || name === '.' || name === '..') {
    const shown = name.length > 60 ? `${name.slice(0, 60)}...` : name;
    throw new StreamlabError(`'${shown}' is not a valid topic name`, "use 1-249 letters, digits, '.', '_' or '-' (and not '.' or '..')");
  }
}

/**
 * Throws unless `name` is a topic a user may write to: valid, and not internal. Kafka keeps its own state in
 * topics named with a leading double underscore (__consumer_offsets, __transaction_state); a record written there
 * corrupts the cluster's bookkeeping, so a sink refuses them as Kafka's own tools do.
 */
export function checkWritableTopic(name: unknown): void {
  checkTopicName(name, 'topic sink');
  if ((name as string).startsWith('__')) {
    throw new StreamlabError(`'${name as string}' is an internal topic of Kafka's and is not written to`, 'write to a topic of your own (names starting with __ are Kafka internal)');
  }
}
