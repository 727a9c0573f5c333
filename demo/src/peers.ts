/** The demo's peers: what a sync admin would see on a real install. */
export interface Peer {
  name: string;
  /** Records on the peer, so a sync has a realistic number of files to move. */
  records: number;
  /** An unsigned peer's data needs an admin's approval before it is applied. */
  signed: boolean;
}

export const PEERS: readonly Peer[] = Object.freeze([
  { name: 'peer-a', records: 120, signed: true },
  { name: 'peer-b', records: 480, signed: true },
  { name: 'peer-c', records: 60, signed: false },
]);

export const peerNamed = (name: string | null) => PEERS.find((peer) => peer.name === name) ?? null;
