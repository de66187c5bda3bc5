/** %stop, %pause, %resume: act on streams by name, or on all of them. */
import { SESSION, lit, statement } from '../codegen';
import { AnyMagicSpec, defineMagic } from '../spec';
import { text } from '../values';

function streamControl(name: 'stop' | 'pause' | 'resume', summary: string, description: string): AnyMagicSpec {
  return defineMagic({
    name,
    summary,
    description: `${description} NAME is a name from %streams; \`all\` means every stream.`,
    // Required: stopping everything is not a default one should get by leaving out a word.
    positionals: [{ name: 'NAME|all', help: 'a stream name, or all', required: true, value: { ...text('NAME', 'stream'), choices: ['all'] } }],
    options: {},
    examples: [`%${name} readings`, `%${name} all`],
    line: ({ positionals: [stream] }) => statement(`await ${SESSION}.${name}(${lit(stream!)})`),
  });
}

export const stop = streamControl('stop', 'stop a stream (or all) and release its consumer', 'Stops the stream and leaves its consumer group.');
export const pause = streamControl('pause', 'pause a consuming stream (or all)', 'Stops fetching without leaving the group; %resume continues.');
export const resume = streamControl('resume', 'resume a paused stream (or all)', 'Continues a stream paused with %pause.');
