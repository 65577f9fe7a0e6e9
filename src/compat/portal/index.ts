/** The Portal dialect with its operations (the next operations join here, a router per module). */
import { authRoutes } from './auth';
import { companyRoutes } from './companies';
import { portal } from './dialect';

portal.add(authRoutes, companyRoutes);

export { portal };
