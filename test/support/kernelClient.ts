/** The Jupyter client the tests drive the kernel with: the same one `streamlab run` uses (kernel/client.ts). */
export * from '../../kernel/client';
