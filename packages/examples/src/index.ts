/**
 * Integrations that combine the Lattice primitives. Copy one into your service.
 *
 * @packageDocumentation
 */
export { runTcpClusterDemo, type TcpClusterDemoReport } from './tcp-cluster-demo.js';
