// Types of format-bytes.js, the formatBytes shared by the runtime and the editor.
export declare function formatBytes(bytes: number): string;
