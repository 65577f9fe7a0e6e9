/** The TransAM dialect (seed 003) with its operations, a router per module. */
import { assetRoutes } from './assets';
import { documentRoutes } from './documents';
import { transam } from './dialect';
import { organizationRoutes } from './organizations';
import { sessionRoutes } from './sessions';
import { userRoutes } from './users';

transam.add(sessionRoutes, userRoutes, organizationRoutes, assetRoutes, documentRoutes);

export { transam };
