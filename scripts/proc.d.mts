export function descendants(pid: number): number[];
export function cmdline(pid: number): string[];
export function rssOf(pid: number): number;
