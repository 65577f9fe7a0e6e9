/** The Portal dialect with its operations (the next operations join here, a router per module). */
import { assetRoutes } from './assets';
import { authRoutes } from './auth';
import { companyRoutes } from './companies';
import { portal } from './dialect';
import { projectRoutes } from './projects';
import { projectUserRoutes } from './project-users';

portal.add(authRoutes, companyRoutes, projectRoutes, projectUserRoutes, assetRoutes);

export { portal };
